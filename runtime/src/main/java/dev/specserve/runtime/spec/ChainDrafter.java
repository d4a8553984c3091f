package dev.specserve.runtime.spec;

/**
 * Cuts another strategy's draft tree to its single best path (the best-scored child at every level), for
 * targets that verify one causal chain per forward (the Optimum contract's 2-D mask). Greedy output stays
 * that of plain decoding: the chain is verified exactly as a tree of one branch would be.
 */
public final class ChainDrafter implements Drafter {
    private final Drafter inner;

    public ChainDrafter(Drafter inner) {
        this.inner = inner;
    }

    /** The tree's best path from the root, as a tree of one branch. */
    public static DraftTree bestPath(DraftTree tree) {
        boolean[] keep = new boolean[tree.size()];
        for (int node = DraftTree.ROOT; ; ) {
            var children = tree.children(node);
            if (children.isEmpty()) {
                break;
            }
            node = children.get(0);
            keep[node] = true;
        }
        return tree.retain(keep);
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public boolean adaptive() {
        return inner.adaptive();
    }

    @Override
    public DraftBudget defaultBudget(DraftBudget engineDefault) {
        return inner.defaultBudget(engineDefault);
    }

    @Override
    public boolean hasModel() {
        return inner.hasModel();
    }

    @Override
    public DraftSession newSession() {
        DraftSession s = inner.newSession();
        return new DraftSession() {
            @Override
            public void start(int[] prompt, float[] promptHidden, int firstToken) {
                s.start(prompt, promptHidden, firstToken);
            }

            @Override
            public DraftTree propose(DraftBudget budget) {
                return bestPath(s.propose(budget));
            }

            @Override
            public void commit(int[] newTokens, float[] hiddenBefore) {
                s.commit(newTokens, hiddenBefore);
            }

            @Override
            public DraftStats lastStats() {
                return s.lastStats();
            }

            @Override
            public void close() {
                s.close();
            }
        };
    }
}
