package dev.specserve.runtime.spec;

/**
 * Per-sequence drafter state. The loop tells it what the target committed and asks for trees.
 * Hidden states come as pairs: row j of {@code hidden} is the target's final hidden state at the
 * position just before {@code tokens[j]}.
 */
public interface DraftSession extends AutoCloseable {
    /** After prefill: the prompt, the target's hidden state at every prompt position, and the first generated token. */
    void start(int[] prompt, float[] promptHidden, int firstToken);

    /** A tree rooted at the last committed token, within the budget. */
    DraftTree propose(DraftBudget budget);

    /** After verification: the accepted tokens plus the bonus token, with the hidden state before each. */
    void commit(int[] newTokens, float[] hiddenBefore);

    /** Drafter forwards and time inside ORT during the last {@link #propose}. */
    DraftStats lastStats();

    @Override
    void close();
}
