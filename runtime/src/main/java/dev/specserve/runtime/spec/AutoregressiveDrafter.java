package dev.specserve.runtime.spec;

/** Strategy {@code none}: proposes nothing, so every round verifies only the root; plain autoregressive decoding. */
public final class AutoregressiveDrafter implements Drafter {
    @Override
    public String name() {
        return "none";
    }

    @Override
    public DraftSession newSession() {
        return new DraftSession() {
            @Override
            public void start(int[] prompt, float[] promptHidden, int firstToken) {}

            @Override
            public DraftTree propose(DraftBudget budget) {
                return DraftTree.empty();
            }

            @Override
            public void commit(int[] newTokens, float[] hiddenBefore) {}

            @Override
            public DraftStats lastStats() {
                return DraftStats.NONE;
            }

            @Override
            public void close() {}
        };
    }
}
