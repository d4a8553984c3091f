package dev.specserve.runtime.spec;

import java.util.List;

/**
 * One emitted token's log-probability and the most likely alternatives at its position, from the
 * processed target distribution (see {@link LogitsProcessor#logSoftmax}).
 *
 * @param text        the token decoded on its own (a partial UTF-8 sequence decodes to U+FFFD)
 * @param bytes       the token's own bytes ({@link dev.specserve.runtime.tokenizer.TextTokenizer#tokenBytes})
 * @param top         the {@code logprobs} most likely tokens at this position, most likely first
 * @param rank        1 + how many tokens are more likely than this one (vLLM's rank); 0 when nothing predicted it
 */
public record TokenLogprob(int token, String text, byte[] bytes, double logprob, List<Alternative> top, int rank) {
    public TokenLogprob {
        top = List.copyOf(top);
    }

    /** @param bytes the token's own bytes (a part of a multi-byte character too), as OpenAI's logprobs carry them */
    public record Alternative(int token, String text, byte[] bytes, double logprob) {}
}
