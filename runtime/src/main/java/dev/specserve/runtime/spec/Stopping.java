package dev.specserve.runtime.spec;

import java.util.Set;

/**
 * vLLM's stopping parameters besides the stop strings themselves.
 *
 * @param tokenIds        {@code stop_token_ids}: generating one ends the output, the token included
 * @param minTokens       {@code min_tokens}: until the output holds this many tokens, EOS and the stop token ids are
 *                        masked out of the distribution and stop strings are not looked for
 * @param ignoreEos       {@code ignore_eos}: EOS does not end the output; it is an output token like any other
 * @param includeStopStr  {@code include_stop_str_in_output}: the text ends with the stop string that ended it,
 *                        instead of just before it
 */
public record Stopping(Set<Integer> tokenIds, int minTokens, boolean ignoreEos, boolean includeStopStr) {
    public static final Stopping DEFAULT = new Stopping(Set.of(), 0, false, false);

    public Stopping {
        tokenIds = tokenIds == null ? Set.of() : Set.copyOf(tokenIds);
        for (int id : tokenIds) {
            if (id < 0) {
                throw new InvalidRequestException("stop_token_ids", "stop_token_ids must be token ids >= 0, got " + id);
            }
        }
        if (minTokens < 0) {
            throw new InvalidRequestException("min_tokens", "min_tokens must be >= 0, got " + minTokens);
        }
    }
}
