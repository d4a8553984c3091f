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
                choice.put("logprobs", CompletionLogprobsJson.logprobs(all, 0));
            } else if (r.promptLogprobs() != null) {
                choice.put("prompt_logprobs", CompletionLogprobsJson.promptLogprobs(r.promptLogprobs()));
            }
            return c;
        }

        @Override
        public JsonObject opening(Head h) {
            return null;
        }

        @Override
        public JsonObject delta(Head h, int choice, String text, List<TokenLogprob> lps, int textOffset) {
            return chunk(h.id(), h.created(), h.model(), text, lps.isEmpty() ? null : CompletionLogprobsJson.logprobs(lps, textOffset), null,
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
                        .put("logprobs", r.logprobs() == null ? null : CompletionLogprobsJson.logprobs(r.logprobs(), 0))))
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
                .put("id", s.requestId()) // the id its access line and any fault's log line carry
                .put("text", r.text())
                .put("tokens", ids(r.tokens()))
                .put("finish_reason", r.finishReason().wire())
                .put("usage", usage(r, false))
                .put("stats", busStats(r, s));
        if (r.logprobs() != null) {
            reply.put("logprobs", CompletionLogprobsJson.logprobs(r.logprobs(), 0));
        }
        return withPromptLogprobs(reply, r);
    }

    /** vLLM's {@code prompt_logprobs}, when the request asked for them. */
    private static JsonObject withPromptLogprobs(JsonObject reply, GenerationResult r) {
        return r.promptLogprobs() == null ? reply
                : reply.put("prompt_logprobs", CompletionLogprobsJson.promptLogprobs(r.promptLogprobs()));
    }

    /** A token chunk on a stream address. */
    static JsonObject busToken(int[] tokens, String text) {
        return new JsonObject().put("type", "token").put("text", text).put("tokens", ids(tokens));
    }

    /** The final message on a stream address. */
    static JsonObject busDone(GenerationResult r, RequestStats s) {
        return withPromptLogprobs(new JsonObject()
                .put("type", "done")
                .put("finish_reason", r.finishReason().wire())
                .put("usage", usage(r, false))
                .put("stats", busStats(r, s)), r);
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
