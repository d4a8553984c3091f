package dev.specserve.controller.server;

import dev.specserve.runtime.spec.TokenLogprob;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** The completions API's logprob formats: OpenAI's {@code logprobs} and vLLM's {@code prompt_logprobs}. */
final class CompletionLogprobsJson {
    private CompletionLogprobsJson() {}

    /**
     * vLLM's {@code prompt_logprobs}: per prompt token, null for the first (nothing predicts it), else an object from
     * token id to {@code {logprob, rank, decoded_token}} holding the prompt token and the top alternatives.
     */
    static JsonArray promptLogprobs(List<TokenLogprob> lps) {
        JsonArray out = new JsonArray();
        for (TokenLogprob t : lps) {
            if (Double.isNaN(t.logprob())) {
                out.addNull();
                continue;
            }
            JsonObject position = new JsonObject().put(String.valueOf(t.token()), new JsonObject()
                    .put("logprob", t.logprob()).put("rank", t.rank()).put("decoded_token", t.text()));
            for (int i = 0; i < t.top().size(); i++) {
                TokenLogprob.Alternative a = t.top().get(i);
                if (!position.containsKey(String.valueOf(a.token()))) {
                    position.put(String.valueOf(a.token()), new JsonObject().put("logprob", a.logprob())
                            .put("rank", i + 1).put("decoded_token", a.text()));
                }
            }
            out.add(position);
        }
        return out;
    }

    /**
     * OpenAI's completions {@code logprobs}: {@code tokens}, {@code token_logprobs}, {@code top_logprobs} (per
     * token, the top alternatives plus the chosen token, keyed by {@link #token}) and {@code text_offset} (the
     * character, counted in code points from {@code startOffset}, where each token's text begins: a piece of a
     * multi-byte character gets that character's offset). A NaN logprob (an echoed prompt's first token) is null,
     * with null alternatives.
     */
    static JsonObject logprobs(List<TokenLogprob> lps, int startOffset) {
        JsonArray tokens = new JsonArray();
        JsonArray tokenLogprobs = new JsonArray();
        JsonArray top = new JsonArray();
        JsonArray offsets = new JsonArray();
        int offset = startOffset;
        for (TokenLogprob t : lps) {
            String token = token(t.text(), t.bytes());
            tokens.add(token);
            offsets.add(t.bytes().length > 0 && continuation(t.bytes()[0]) ? Math.max(0, offset - 1) : offset);
            offset += characters(t.bytes());
            if (Double.isNaN(t.logprob())) { // an echoed prompt's first token: nothing predicts it
                tokenLogprobs.addNull();
                top.addNull();
                continue;
            }
            tokenLogprobs.add(t.logprob());
            JsonObject alts = new JsonObject();
            for (TokenLogprob.Alternative a : t.top()) {
                alts.getMap().putIfAbsent(token(a.text(), a.bytes()), a.logprob());
            }
            alts.getMap().putIfAbsent(token, t.logprob());
            top.add(alts);
        }
        return new JsonObject().put("tokens", tokens).put("token_logprobs", tokenLogprobs).put("top_logprobs", top)
                .put("text_offset", offsets);
    }

    /**
     * A token as the completions format names it: its text, or, for a piece of a multi-byte character (which
     * decodes to U+FFFD on its own), its bytes written as OpenAI writes them ({@code bytes:\xe2\x80}), so that
     * different pieces stay different keys of {@code top_logprobs}.
     */
    static String token(String text, byte[] bytes) {
        if (text.indexOf('\uFFFD') < 0 || bytes.length == 0 || wellFormed(bytes)) {
            return text;
        }
        StringBuilder b = new StringBuilder("bytes:");
        for (byte x : bytes) {
            b.append(String.format(java.util.Locale.ROOT, "\\x%02x", x & 0xff));
        }
        return b.toString();
    }

    private static boolean wellFormed(byte[] bytes) {
        try {
            java.nio.charset.StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes));
            return true;
        } catch (java.nio.charset.CharacterCodingException e) {
            return false;
        }
    }

    /** Code points the tokens add to {@code text_offset}: the characters that begin in their bytes. */
    static int textLength(List<TokenLogprob> lps) {
        int n = 0;
        for (TokenLogprob t : lps) {
            n += characters(t.bytes());
        }
        return n;
    }

    /** The characters that begin in {@code bytes}: every byte but UTF-8's continuation bytes. */
    private static int characters(byte[] bytes) {
        int n = 0;
        for (byte b : bytes) {
            n += continuation(b) ? 0 : 1;
        }
        return n;
    }

    private static boolean continuation(byte b) {
        return (b & 0xC0) == 0x80;
    }
}
