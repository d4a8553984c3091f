package dev.specserve.controller.server;

import dev.specserve.runtime.engine.RequestStats;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.TokenLogprob;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** The response shapes of the OpenAI chat completions API: {@code chat.completion} and its stream chunks. */
final class ChatJson {
    private ChatJson() {}

    static final ResponseShape CHAT = new ResponseShape() {
        @Override
        public String idPrefix() {
            return "chatcmpl-";
        }

        @Override
        public JsonObject completion(Head h, GenerationResult r, RequestStats s) {
            JsonObject choice = new JsonObject()
                    .put("index", 0)
                    .put("message", new JsonObject().put("role", "assistant").put("content", r.text()))
                    .put("logprobs", r.logprobs() == null ? null : logprobs(r.logprobs()))
                    .put("finish_reason", r.finishReason().wire());
            JsonObject answer = object(h, "chat.completion", choice);
            if (r.promptLogprobs() != null) { // vLLM's, for the rendered prompt
                answer.put("prompt_logprobs", CompletionLogprobsJson.promptLogprobs(r.promptLogprobs()));
            }
            return answer.put("usage", CompletionJson.usage(r, true)).put("specserve", CompletionJson.specserve(r, s));
        }

        /** OpenAI's first chunk names the role, with empty content. */
        @Override
        public JsonObject opening(Head h) {
            return chunk(h, new JsonObject().put("role", "assistant").put("content", ""), null, null);
        }

        @Override
        public JsonObject delta(Head h, int choice, String text, List<TokenLogprob> lps, int textOffset) {
            return chunk(h, new JsonObject().put("content", text), lps.isEmpty() ? null : logprobs(lps), null);
        }

        @Override
        public JsonObject last(Head h, int choice, GenerationResult r, RequestStats s) {
            return chunk(h, new JsonObject(), null, r.finishReason().wire())
                    .put("usage", CompletionJson.usage(r, true))
                    .put("specserve", CompletionJson.specserve(r, s));
        }

        @Override
        public JsonObject usage(ResponseShape.Head h, GenerationResult r) {
            return object(h, "chat.completion.chunk", null).put("choices", new JsonArray())
                    .put("usage", CompletionJson.usage(r, true));
        }

        /** The prompt the engine refuses (too long for the context) is the one the messages were rendered to. */
        @Override
        public ApiError refusal(ApiError e) {
            return "prompt".equals(e.param()) ? ApiError.invalid("messages", "the messages, formatted by the chat "
                    + "template: " + e.message()) : e;
        }
    };

    /**
     * A chat answer that differs from {@link #CHAT} only in its choices (tool calls): the id prefix, the opening
     * chunk, the usage chunk and refusals are chat's.
     */
    abstract static class Like implements ResponseShape {
        @Override
        public String idPrefix() {
            return CHAT.idPrefix();
        }

        @Override
        public JsonObject opening(Head h) {
            return CHAT.opening(h);
        }

        @Override
        public JsonObject usage(Head h, GenerationResult r) {
            return CHAT.usage(h, r);
        }

        @Override
        public ApiError refusal(ApiError e) {
            return CHAT.refusal(e);
        }
    }

    static JsonObject chunk(ResponseShape.Head h, JsonObject delta, JsonObject logprobs, String finishReason) {
        return object(h, "chat.completion.chunk", new JsonObject().put("index", 0).put("delta", delta)
                .put("logprobs", logprobs).put("finish_reason", finishReason));
    }

    private static JsonObject object(ResponseShape.Head h, String type, JsonObject choice) {
        return new JsonObject()
                .put("id", h.id())
                .put("object", type)
                .put("created", h.created())
                .put("model", h.model())
                .put("choices", new JsonArray().add(choice));
    }

    /**
     * OpenAI's chat {@code logprobs}: {@code {"content": [{"token", "logprob", "bytes", "top_logprobs": [...]}]}},
     * the alternatives most likely first, each with its own bytes (a piece of a multi-byte character too, so a
     * client joins a character's pieces back into it).
     */
    static JsonObject logprobs(List<TokenLogprob> lps) {
        JsonArray content = new JsonArray();
        for (TokenLogprob t : lps) {
            JsonArray top = new JsonArray();
            for (TokenLogprob.Alternative a : t.top()) {
                top.add(entry(a.text(), a.bytes(), a.logprob()));
            }
            content.add(entry(t.text(), t.bytes(), t.logprob()).put("top_logprobs", top));
        }
        return new JsonObject().put("content", content);
    }

    private static JsonObject entry(String token, byte[] own, double logprob) {
        JsonArray bytes = new JsonArray();
        for (byte b : own) {
            bytes.add(b & 0xff);
        }
        return new JsonObject().put("token", token).put("logprob", logprob).put("bytes", bytes);
    }
}
