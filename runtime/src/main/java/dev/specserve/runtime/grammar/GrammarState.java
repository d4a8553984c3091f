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
     * The bytes every allowed output continues with from here, at most {@code max} (empty when the next byte is a
     * choice, or the output may end here): a JSON schema's next key and its punctuation, say. They can be drafted for
     * free, as SGLang's jump-forward decoding writes them.
     */
    default byte[] forced(int max) {
        return new byte[0];
    }

    /** True when the next byte is forced ({@link #forced} would give one); asked for every committed token. */
    default boolean forcesNext() {
        return false;
    }

    /**
     * A key for what may follow this state within its grammar: two states of one grammar with equal keys accept the
     * same byte strings, so they share a token mask.
     */
    Object key();
}
