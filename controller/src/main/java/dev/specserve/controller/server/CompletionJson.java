package dev.specserve.controller.server;

import dev.specserve.runtime.engine.RequestStats;
import dev.specserve.runtime.spec.GenerationResult;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import dev.specserve.runtime.spec.TokenLogprob;
import java.util.List;

/** The response shapes of the completions API (HTTP) and of the event-bus API. */
final class CompletionJson {
    private CompletionJson() {}

    /** OpenAI completions ({@code text_completion}) over HTTP. */
    static final ResponseShape TEXT = new ResponseShape() {
        @Override
        public String idPrefix() {
            return "cmpl-";
        }

        @Override
        public JsonObject completion(Head h, GenerationResult r, RequestStats s) {
            JsonObject c = CompletionJson.completion(h.id(), h.created(), h.model(), r, s);
            JsonObject choice = c.getJsonArray("choices").getJsonObject(0);
            boolean echoLogprobs = h.echo() != null && r.promptLogprobs() != null && r.logprobs() != null;
            if (h.echo() != null) {
                choice.put("text", h.echo() + r.text());
            }
            if (echoLogprobs) {
                List<TokenLogprob> all = new java.util.ArrayList<>(r.promptLogprobs());
                all.addAll(r.logprobs());
                choice.put("logprobs", logprobs(all, 0));
            } else if (r.promptLogprobs() != null) {
                choice.put("prompt_logprobs", promptLogprobs(r.promptLogprobs()));
            }
            return c;
        }

        @Override
        public JsonObject opening(Head h) {
            return null;
        }

        @Override
        public JsonObject delta(Head h, int choice, String text, List<TokenLogprob> lps, int textOffset) {
            return chunk(h.id(), h.created(), h.model(), text, lps.isEmpty() ? null : logprobs(lps, textOffset), null,
                    null);
        }

        @Override
        public JsonObject last(Head h, int choice, GenerationResult r, RequestStats s) {
            return chunk(h.id(), h.created(), h.model(), "", r, s);
        }

        @Override
        public JsonObject usage(Head h, GenerationResult r) {
            return new JsonObject().put("id", h.id()).put("object", "text_completion").put("created", h.created())
                    .put("model", h.model()).put("choices", new JsonArray()).put("usage", CompletionJson.usage(r, true));
        }
    };

    // ---- HTTP, OpenAI completions ----

    /** Non-streaming {@code text_completion}. */
    static JsonObject completion(String id, long created, String model, GenerationResult r, RequestStats s) {
        return new JsonObject()
                .put("id", id)
                .put("object", "text_completion")
                .put("created", created)
                .put("model", model)
                .put("choices", new JsonArray().add(choice(r.text(), r.finishReason().wire())
                        .put("logprobs", r.logprobs() == null ? null : logprobs(r.logprobs(), 0))))
                .put("usage", usage(r, true))
                .put("specserve", specserve(r, s));
    }

    /** One SSE chunk: a text delta, or (finishReason != null) the last one with usage and speculation figures. */
    static JsonObject chunk(String id, long created, String model, String text, GenerationResult r, RequestStats s) {
        return chunk(id, created, model, text, null, r, s);
    }

    /** A chunk whose choice carries {@code logprobs} (null for none). */
    static JsonObject chunk(String id, long created, String model, String text, JsonObject logprobs,
                            GenerationResult r, RequestStats s) {
        JsonObject c = new JsonObject()
                .put("id", id)
                .put("object", "text_completion")
                .put("created", created)
                .put("model", model)
                .put("choices", new JsonArray().add(choice(text, r == null ? null : r.finishReason().wire())
                        .put("logprobs", logprobs)));
        if (r != null) {
            c.put("usage", usage(r, true)).put("specserve", specserve(r, s));
        }
        return c;
    }

    private static JsonObject choice(String text, String finishReason) {
        return new JsonObject().put("index", 0).put("text", text).put("finish_reason", finishReason).putNull("logprobs");
    }

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

    static JsonObject specserve(GenerationResult r, RequestStats s) {
        return new JsonObject()
                .put("rounds", r.rounds())
                .put("accepted_mean", round3(r.meanAcceptedLength()))
                .put("drafter_version", s.drafterVersion())
                .put("strategy", s.strategy())
                .put("queue_ms", round3(s.queueNanos() / 1e6))
                .put("ttft_ms", round3(s.timeToFirstTokenNanos() / 1e6))
                .put("e2e_ms", round3(s.endToEndNanos() / 1e6))
                .put("prefix_cache_hit_tokens", s.prefixCacheHitTokens());
    }

    static JsonObject usage(GenerationResult r, boolean total) {
        JsonObject u = new JsonObject().put("prompt_tokens", r.promptTokens()).put("completion_tokens", r.tokens().length);
        if (total) {
            u.put("total_tokens", r.promptTokens() + r.tokens().length);
        }
        return u;
    }

    // ---- event bus ----

    /** Reply of {@code specserve.generate}. */
    static JsonObject busReply(GenerationResult r, RequestStats s) {
        JsonObject reply = new JsonObject()
                .put("text", r.text())
                .put("tokens", ids(r.tokens()))
                .put("finish_reason", r.finishReason().wire())
                .put("usage", usage(r, false))
                .put("stats", busStats(r, s));
        if (r.logprobs() != null) {
            reply.put("logprobs", logprobs(r.logprobs(), 0));
        }
        return reply;
    }

    /** A token chunk on a stream address. */
    static JsonObject busToken(int[] tokens, String text) {
        return new JsonObject().put("type", "token").put("text", text).put("tokens", ids(tokens));
    }

    /** The final message on a stream address. */
    static JsonObject busDone(GenerationResult r, RequestStats s) {
        return new JsonObject()
                .put("type", "done")
                .put("finish_reason", r.finishReason().wire())
                .put("usage", usage(r, false))
                .put("stats", busStats(r, s));
    }

    /** The final message on a stream address when the engine failed. */
    static JsonObject busError(ApiError e) {
        return new JsonObject().put("type", "error").put("error", e.toJson());
    }

    private static JsonObject busStats(GenerationResult r, RequestStats s) {
        return new JsonObject()
                .put("rounds", r.rounds())
                .put("accepted_mean", round3(r.meanAcceptedLength()))
                .put("drafter_version", s.drafterVersion())
                .put("strategy", s.strategy());
    }

    private static JsonArray ids(int[] tokens) {
        JsonArray a = new JsonArray();
        for (int t : tokens) {
            a.add(t);
        }
        return a;
    }

    static double round3(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
