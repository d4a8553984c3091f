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
     * token, the top alternatives plus the chosen token, by token text) and {@code text_offset} (each token's
     * character offset in the completion text, from {@code startOffset}: the sum of the decoded lengths of
     * the tokens before it). A NaN logprob (an echoed prompt's first token) is null, with null alternatives.
     */
    static JsonObject logprobs(List<TokenLogprob> lps, int startOffset) {
        JsonArray tokens = new JsonArray();
        JsonArray tokenLogprobs = new JsonArray();
        JsonArray top = new JsonArray();
        JsonArray offsets = new JsonArray();
        int offset = startOffset;
        for (TokenLogprob t : lps) {
            tokens.add(t.text());
            offsets.add(offset);
            offset += t.text().length();
            if (Double.isNaN(t.logprob())) { // an echoed prompt's first token: nothing predicts it
                tokenLogprobs.addNull();
                top.addNull();
                continue;
            }
            tokenLogprobs.add(t.logprob());
            JsonObject alts = new JsonObject();
            for (TokenLogprob.Alternative a : t.top()) {
                if (!alts.containsKey(a.text())) {
                    alts.put(a.text(), a.logprob());
                }
            }
            if (!alts.containsKey(t.text())) {
                alts.put(t.text(), t.logprob());
            }
            top.add(alts);
        }
        return new JsonObject().put("tokens", tokens).put("token_logprobs", tokenLogprobs).put("top_logprobs", top)
                .put("text_offset", offsets);
    }

    /** Characters the tokens add to {@code text_offset}. */
    static int textLength(List<TokenLogprob> lps) {
        int n = 0;
        for (TokenLogprob t : lps) {
            n += t.text().length();
        }
        return n;
    }
}
