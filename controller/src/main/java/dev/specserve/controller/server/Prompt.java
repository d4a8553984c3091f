package dev.specserve.controller.server;

/**
 * One prompt: its text, or the token ids a client sent (OpenAI's token prompts), served as they are; the text
 * of a token prompt is null until {@link #withText} gives it (only echo needs it).
 */
public record Prompt(String text, int[] tokens) {
    public Prompt {
        if (text == null && tokens == null) {
            throw new IllegalArgumentException("a prompt needs text or token ids");
        }
        tokens = tokens == null ? null : tokens.clone();
    }

    public static Prompt text(String text) {
        return new Prompt(text, null);
    }

    public static Prompt tokens(int[] tokens) {
        return new Prompt(null, tokens);
    }

    /** A token prompt with its text known. */
    public Prompt withText(String s) {
        return new Prompt(s, tokens);
    }

    @Override
    public int[] tokens() {
        return tokens == null ? null : tokens.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Prompt p && java.util.Objects.equals(text, p.text)
                && java.util.Arrays.equals(tokens, p.tokens);
    }

    @Override
    public int hashCode() {
        return 31 * java.util.Objects.hashCode(text) + java.util.Arrays.hashCode(tokens);
    }

    @Override
    public String toString() {
        return tokens == null ? text : java.util.Arrays.toString(tokens);
    }
}
