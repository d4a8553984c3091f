package dev.specserve.drafters;

/**
 * Suffix lookup settings.
 *
 * @param maxMatch     longest context match measured (longer matches count as this long)
 * @param candidates   most recent occurrences examined per index and round
 * @param specFactor   speculation depth allowed per matched token: a match of m tokens drafts at most
 *                     ceil(specFactor * m) deep (SuffixDecoding's max_spec_factor)
 * @param globalTokens tokens the shared index of earlier outputs keeps before evicting the least recently
 *                     used output (0 disables the shared index)
 * @param indexPrompts  the shared index keeps each finished request's prompt too, not only its output
 * @param corpus        also look up the model's lookup corpus ({@link LookupCorpus}) when its manifest ships one
 */
public record SuffixConfig(int maxMatch, int candidates, double specFactor, long globalTokens, boolean indexPrompts,
                           boolean corpus) {
    public SuffixConfig {
        if (maxMatch < 2 || candidates < 1 || specFactor <= 0 || globalTokens < 0) {
            throw new IllegalArgumentException("invalid suffix settings: maxMatch=" + maxMatch + " candidates="
                    + candidates + " specFactor=" + specFactor + " globalTokens=" + globalTokens);
        }
    }

    /** Settings that use the model's lookup corpus when there is one. */
    public SuffixConfig(int maxMatch, int candidates, double specFactor, long globalTokens, boolean indexPrompts) {
        this(maxMatch, candidates, specFactor, globalTokens, indexPrompts, true);
    }

    public SuffixConfig withCorpus(boolean use) {
        return new SuffixConfig(maxMatch, candidates, specFactor, globalTokens, indexPrompts, use);
    }

    public static SuffixConfig defaults() {
        return new SuffixConfig(64, 16, 2.0, 1L << 20, false, true);
    }
}
