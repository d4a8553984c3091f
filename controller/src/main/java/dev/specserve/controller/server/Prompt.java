package dev.specserve.controller.server;

import dev.specserve.runtime.engine.EngineRequest;
import java.util.Arrays;

/**
 * One prompt: its text, or the token ids a client sent (OpenAI's token prompts), served as they are; the text
 * of a token prompt is null until {@link #withText} gives it (only echo needs it).
 *
 * @param truncate vLLM's {@code truncate_prompt_tokens} for a text prompt, which the engine cuts once tokenized
 *                 (0: whole; see {@link dev.specserve.runtime.engine.EngineRequest#truncatePromptTokens}); a token
 *                 prompt is cut when parsed
 */
public record Prompt(String text, int[] tokens, int truncate) {
    public Prompt {
        if (text == null && tokens == null) {
            throw new IllegalArgumentException("a prompt needs text or token ids");
        }
        tokens = tokens == null ? null : tokens.clone();
    }

    public static Prompt text(String text) {
        return new Prompt(text, null, 0);
    }

    public static Prompt tokens(int[] tokens) {
        return new Prompt(null, tokens, 0);
    }

    /** A token prompt with its text known. */
    public Prompt withText(String s) {
        return new Prompt(s, tokens, truncate);
    }

    /**
     * The prompt cut to its last {@code k} tokens ({@link EngineRequest#TRUNCATE_TO_CONTEXT}: as many as a context of
     * {@code context} holds): a token prompt now, a text prompt by the engine once tokenized.
     */
    Prompt truncated(int k, int context) {
        if (tokens == null) {
            return new Prompt(text, null, k);
        }
        int keep = k == EngineRequest.TRUNCATE_TO_CONTEXT ? context - 1 : k;
        return tokens.length <= keep ? this : tokens(Arrays.copyOfRange(tokens, tokens.length - keep, tokens.length));
    }

    @Override
    public int[] tokens() {
        return tokens == null ? null : tokens.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Prompt p && java.util.Objects.equals(text, p.text)
                && java.util.Arrays.equals(tokens, p.tokens) && truncate == p.truncate;
    }

    @Override
    public int hashCode() {
        return 31 * (31 * java.util.Objects.hashCode(text) + java.util.Arrays.hashCode(tokens)) + truncate;
    }

    @Override
    public String toString() {
        return tokens == null ? text : java.util.Arrays.toString(tokens);
    }
}
