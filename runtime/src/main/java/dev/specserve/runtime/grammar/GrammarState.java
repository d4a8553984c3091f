package dev.specserve.runtime.grammar;

/**
 * Where an output stands in an {@link OutputGrammar}: it takes the output's bytes one at a time and refuses the first
 * byte after which no output the grammar allows could follow. Mutable and cheap to {@link #copy}; not thread-safe.
 */
public interface GrammarState {

    /** Takes one byte; false when no allowed output continues this way (the state is then undefined). */
    boolean accept(byte b);

    /** Takes every byte of {@code bytes}; false (the state then undefined) at the first one the grammar refuses. */
    default boolean acceptAll(byte[] bytes) {
        for (byte b : bytes) {
            if (!accept(b)) {
                return false;
            }
        }
        return true;
    }

    /** True when the output may end here (EOS is allowed). */
    boolean complete();

    GrammarState copy();

    /**
     * A key for what may follow this state within its grammar: two states of one grammar with equal keys accept the
     * same byte strings, so they share a token mask.
     */
    Object key();
}
