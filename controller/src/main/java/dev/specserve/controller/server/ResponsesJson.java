package dev.specserve.controller.server;

import dev.specserve.runtime.engine.RequestStats;
import dev.specserve.runtime.spec.FinishReason;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.TokenLogprob;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.UUID;

/**
 * The answers of OpenAI's Responses API ({@code POST /v1/responses}): the {@code response} object, its output items
 * and usage, and the named events of its stream ({@link ResponsesEvents}). A finished answer is stored unless the
 * request said {@code store: false} ({@link ResponseStore}); the fields the request set (instructions, tools, text
 * format, {@code previous_response_id}, ...) are repeated as OpenAI repeats them.
 */
final class ResponsesJson {
    private ResponsesJson() {}

    /**
     * The shape of one request's answer: it holds the stream's state, so it serves that request only; its finished
     * response goes into {@code store} when the request asked for that.
     */
    static ResponseShape of(ResponsesRequestParser.Parsed parsed, ResponseStore store) {
        JsonObject echo = parsed.echo();
        ToolCalls tools = parsed.request().toolCalls();
        ResponsesEvents stream = new ResponsesEvents(echo, tools);
        return new ResponseShape() {
            @Override
            public String idPrefix() {
                return "resp_";
            }

            @Override
            public boolean idIsHandle() {
                return true;
            }

            @Override
            public JsonObject completion(Head h, GenerationResult r, RequestStats s) {
                return stored(ResponsesEvents.replay(echo, tools, h, r, s));
            }

            private JsonObject stored(JsonObject response) {
                if (parsed.store()) {
                    store.put(response, parsed.items());
                }
                return response;
            }

            @Override
            public JsonObject opening(Head h) {
                return stream.opening(h);
            }

            @Override
            public JsonObject delta(Head h, int choice, String text, List<TokenLogprob> lps, int textOffset) {
                return stream.delta(text);
            }

            @Override
            public JsonObject last(Head h, int choice, GenerationResult r, RequestStats s) {
                JsonObject events = stream.last(h, r, s);
                JsonArray all = events.getJsonArray("events");
                stored(all.getJsonObject(all.size() - 1).getJsonObject("response"));
                return events;
            }

            /** Never asked for: a Responses stream carries its usage in its last event, and takes no stream_options. */
            @Override
            public JsonObject usage(Head h, GenerationResult r) {
                throw new IllegalStateException("a Responses stream has no separate usage chunk");
            }

            @Override
            public String sse(JsonObject chunk) {
                return stream.sse(chunk);
            }

            /** OpenAI's Responses streams end with their last event, without a {@code [DONE]} line. */
            @Override
            public String sseEnd() {
                return "";
            }

            @Override
            public JsonObject streamError(Head h, ApiError e) {
                return stream.failed(h, e);
            }

            /** The engine's prompt is the rendered input, its max_tokens max_output_tokens, its grammar text.format. */
            @Override
            public ApiError refusal(ApiError e) {
                return ResponsesRequestParser.inResponsesTerms(e);
            }
        };
    }

    /**
     * The response object: its identity and status, the output so far, the request's fields as it set them, and
     * once done ({@code r} not null) the usage and specserve's own figures, as the other APIs add them.
     */
    static JsonObject response(ResponseShape.Head h, JsonObject echo, String status, JsonObject incompleteDetails,
                               JsonArray output, GenerationResult r, RequestStats s) {
        JsonObject o = new JsonObject()
                .put("id", h.id())
                .put("object", "response")
                .put("created_at", h.created())
                .put("status", status)
                .putNull("error")
                .put("incomplete_details", incompleteDetails)
                .put("model", h.model())
                .put("output", output);
        echo.forEach(e -> o.put(e.getKey(), e.getValue()));
        o.put("usage", r == null ? null : usage(r, s));
        if (r != null) {
            o.put("specserve", CompletionJson.specserve(r, s));
        }
        return o;
    }

    /** {@code completed} when the model stopped, else {@code incomplete}: cut by the token limit, cancelled, timed out. */
    static String status(GenerationResult r) {
        return r.finishReason() == FinishReason.STOP ? "completed" : "incomplete";
    }

    /** Why a response is incomplete: OpenAI's {@code max_output_tokens}, or specserve's cancelled / timeout. */
    static JsonObject incompleteDetails(GenerationResult r) {
        return switch (r.finishReason()) {
            case STOP -> null;
            case LENGTH -> new JsonObject().put("reason", "max_output_tokens");
            default -> new JsonObject().put("reason", r.finishReason().wire());
        };
    }

    /** OpenAI's Responses usage; cached tokens are the prompt tokens the prefix cache served. */
    static JsonObject usage(GenerationResult r, RequestStats s) {
        int output = r.tokens().length;
        return new JsonObject()
                .put("input_tokens", r.promptTokens())
                .put("input_tokens_details", new JsonObject().put("cached_tokens", s.prefixCacheHitTokens()))
                .put("output_tokens", output)
                .put("output_tokens_details", new JsonObject().put("reasoning_tokens", 0))
                .put("total_tokens", r.promptTokens() + output);
    }

    /** An assistant message item with one output_text part. */
    static JsonObject message(String text, String status) {
        return new JsonObject()
                .put("type", "message")
                .put("id", "msg_" + hex())
                .put("status", status)
                .put("role", "assistant")
                .put("content", new JsonArray().add(outputText(text)));
    }

    static JsonObject outputText(String text) {
        return new JsonObject().put("type", "output_text").put("text", text).put("annotations", new JsonArray());
    }

    /** A function_call item; its call_id is what the client's function_call_output answers. */
    static JsonObject functionCall(String name, String arguments, String status) {
        return new JsonObject()
                .put("type", "function_call")
                .put("id", "fc_" + hex())
                .put("call_id", "call_" + hex())
                .put("name", name)
                .put("arguments", arguments)
                .put("status", status);
    }

    private static String hex() {
        return UUID.randomUUID().toString().replace("-", "");
    }
}
