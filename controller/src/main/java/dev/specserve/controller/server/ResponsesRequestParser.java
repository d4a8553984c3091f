package dev.specserve.controller.server;

import static dev.specserve.controller.server.JsonFields.typeName;

import dev.specserve.runtime.spec.InvalidRequestException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Set;

/**
 * Reads an OpenAI Responses API body as the chat completions body it amounts to, and has the
 * {@link ChatRequestParser} read that: the same template rendering, sampling fields, limits, structured output and
 * tool choices, so a Responses request is served exactly as the same conversation sent as a chat. What the chat
 * parser refuses is reported under the Responses API's names ({@code input}, {@code max_output_tokens},
 * {@code text}).
 *
 * <p>Served: {@code input} ({@link ResponsesInput}), {@code instructions}, {@code max_output_tokens},
 * {@code temperature}, {@code top_p}, {@code stream}, {@code text.format} ({@code text}, {@code json_object},
 * {@code json_schema}, as chat's {@code response_format}), function {@code tools} in the Responses API's flat form
 * with {@code tool_choice}, {@code store} (true unless false: the answer is kept for {@code previous_response_id},
 * {@link ResponseStore}), {@code previous_response_id}, and {@code metadata}, {@code user},
 * {@code parallel_tool_calls} (false: one call at most), repeated in the answer. What would need a feature specserve lacks is a 400
 * naming it, never ignored: {@code conversation}, {@code background},
 * {@code prompt}, {@code include}, {@code reasoning} settings, {@code truncation: "auto"}, {@code top_logprobs},
 * hosted tools. Other fields are read as the chat API reads them (vLLM's sampling extras are served, fields it
 * refuses are refused, unknown ones ignored), except the chat API's own fields, which this API does not have.
 */
final class ResponsesRequestParser {
    /**
     * A Responses request: the chat completion it is served as, the fields its answers repeat, and the conversation
     * as input items (a continued response's first) with whether its answer is stored.
     */
    record Parsed(CompletionRequest request, JsonObject echo, JsonArray items, boolean store) {}

    /** Fields this parser reads itself. */
    private static final Set<String> OWN = Set.of("input", "instructions", "max_output_tokens", "text", "tools",
            "tool_choice", "metadata", "user", "store", "parallel_tool_calls", "previous_response_id", "conversation",
            "background", "include", "reasoning", "prompt", "truncation", "top_logprobs", "stream_options",
            "service_tier", "prompt_cache_key", "safety_identifier", "max_tool_calls");
    /** The chat completions API's own fields: unknown to this API, so ignored rather than read as chat's. */
    private static final Set<String> CHAT_ONLY = Set.of("messages", "max_tokens", "max_completion_tokens",
            "response_format", "n", "best_of", "logprobs", "add_generation_prompt", "continue_final_message",
            "prompt_logprobs");

    private final ChatRequestParser chat;
    private final ResponseStore store;

    ResponsesRequestParser(ChatRequestParser chat, ResponseStore store) {
        this.chat = chat;
        this.store = store;
    }

    Parsed parse(JsonObject json) {
        refuseUnserved(json);
        JsonObject body = new JsonObject();
        json.forEach(e -> {
            if (!OWN.contains(e.getKey()) && !CHAT_ONLY.contains(e.getKey())) {
                body.put(e.getKey(), e.getValue());
            }
        });
        JsonArray items = conversation(json);
        body.put("messages", ResponsesInput.messages(json, items));
        if (json.getValue("max_output_tokens") != null) {
            body.put("max_completion_tokens", json.getValue("max_output_tokens"));
        }
        JsonObject format = ResponsesTools.textFormat(json.getValue("text"));
        if (format != null) {
            body.put("response_format", format);
        }
        JsonArray tools = ResponsesTools.tools(json.getValue("tools"));
        Object choice = ResponsesTools.toolChoice(json.getValue("tool_choice"), tools != null);
        if (tools != null) {
            body.put("tools", tools);
        }
        if (choice != null) {
            body.put("tool_choice", choice);
        }
        if (json.getValue("parallel_tool_calls") != null) {
            body.put("parallel_tool_calls", json.getValue("parallel_tool_calls")); // ToolCalls judges it
        }
        CompletionRequest request;
        try {
            request = chat.parse(body);
        } catch (InvalidRequestException e) {
            ApiError renamed = inResponsesTerms(ApiError.from(e));
            throw new InvalidRequestException(renamed.param(), renamed.message());
        }
        return new Parsed(request, echo(json), items, !Boolean.FALSE.equals(json.getValue("store")));
    }

    /** The input items, after those of the stored response that {@code previous_response_id} continues. */
    private JsonArray conversation(JsonObject json) {
        JsonArray input = ResponsesInput.items(json);
        Object previous = json.getValue("previous_response_id");
        if (previous == null) {
            return input;
        }
        if (!(previous instanceof String id)) {
            throw new InvalidRequestException("previous_response_id", "previous_response_id must be a string, got "
                    + typeName(previous));
        }
        ResponseStore.Stored stored = store.get(id).orElseThrow(() -> new InvalidRequestException(
                "previous_response_id", "no stored response has id '" + id + "': this server keeps responses sent "
                + "without store: false in memory, up to " + (ResponseStore.MAX_BYTES >> 20) + " MiB (the rarely used "
                + "evicted first), for " + ResponseStore.TTL.toMinutes() + " minutes after their last use"));
        return stored.items().copy().addAll(input);
    }

    /** The fields that need a stored response, a hosted feature or a model ability specserve does not serve. */
    private static void refuseUnserved(JsonObject json) {
        for (String field : new String[] {"conversation", "prompt"}) {
            if (json.getValue(field) != null) {
                throw new InvalidRequestException(field, field + " is not supported: specserve stores no conversations "
                        + "or prompts; send the conversation as input, or continue a response with previous_response_id");
            }
        }
        if (json.getValue("background") != null && !Boolean.FALSE.equals(json.getValue("background"))) {
            throw new InvalidRequestException("background", "background is not supported (only false): nothing is "
                    + "stored to poll; send stream: true to read the response as it is written");
        }
        Object include = json.getValue("include");
        if (include != null && !(include instanceof JsonArray a && a.isEmpty())) {
            throw new InvalidRequestException("include", "include is not supported (only an empty array): specserve "
                    + "adds no logprobs, reasoning or hosted tools' results to output items");
        }
        Object reasoning = json.getValue("reasoning");
        if (reasoning != null && !(reasoning instanceof JsonObject r && r.getValue("effort") == null
                && r.getValue("summary") == null)) {
            throw new InvalidRequestException("reasoning", "reasoning settings (effort, summary) are not supported: "
                    + "the model is served as it is; chat_template_kwargs sets a template's thinking switch");
        }
        Object truncation = json.getValue("truncation");
        if (truncation != null && !"disabled".equals(truncation)) {
            throw new InvalidRequestException("truncation", "truncation is not supported (only \"disabled\"): input "
                    + "too long for the context is a 400, never cut");
        }
        Object top = json.getValue("top_logprobs");
        if (top != null && !(top instanceof Number n && n.doubleValue() == 0)) {
            throw new InvalidRequestException("top_logprobs", "top_logprobs is not supported (only 0) on the "
                    + "Responses API; the chat completions API serves logprobs");
        }
        for (String field : new String[] {"store", "parallel_tool_calls"}) {
            if (json.getValue(field) != null && !(json.getValue(field) instanceof Boolean)) {
                throw new InvalidRequestException(field, field + " must be true or false, got "
                        + typeName(json.getValue(field)));
            }
        }
        if (json.getValue("user") != null && !(json.getValue("user") instanceof String)) {
            throw new InvalidRequestException("user", "user must be a string, got " + typeName(json.getValue("user")));
        }
        Object metadata = json.getValue("metadata");
        if (metadata != null && !(metadata instanceof JsonObject m && m.size() <= 16
                && m.stream().allMatch(e -> e.getValue() instanceof String))) {
            throw new InvalidRequestException("metadata", "metadata must be an object of at most 16 string values");
        }
    }

    /** The request's fields as its response repeats them, with OpenAI's defaults where it left them out. */
    private static JsonObject echo(JsonObject json) {
        Object text = json.getValue("text") instanceof JsonObject t && t.getValue("format") != null ? t
                : new JsonObject().put("format", new JsonObject().put("type", "text"));
        return new JsonObject()
                .put("instructions", json.getValue("instructions"))
                .put("max_output_tokens", json.getValue("max_output_tokens"))
                .put("parallel_tool_calls", !Boolean.FALSE.equals(json.getValue("parallel_tool_calls")))
                .put("previous_response_id", json.getValue("previous_response_id"))
                .put("store", !Boolean.FALSE.equals(json.getValue("store")))
                .put("temperature", json.getValue("temperature") != null ? json.getValue("temperature") : 1.0)
                .put("text", text)
                .put("tool_choice", json.getValue("tool_choice") != null ? json.getValue("tool_choice") : "auto")
                .put("tools", json.getValue("tools") != null ? json.getValue("tools") : new JsonArray())
                .put("top_p", json.getValue("top_p") != null ? json.getValue("top_p") : 1.0)
                .put("user", json.getValue("user"))
                .put("metadata", json.getValue("metadata") != null ? json.getValue("metadata") : new JsonObject());
    }

    /**
     * A refusal of the chat parser or the engine under the Responses API's names: the input the messages and the
     * prompt came from, max_output_tokens for the token limit, text.format for the output constraint (a schema is
     * compiled after parsing, so the engine may refuse it), and the flat form of tools.
     */
    static ApiError inResponsesTerms(ApiError e) {
        String field = e.param() == null ? "" : e.param();
        String message = e.message();
        return switch (field) {
            case "messages" -> new ApiError(e.status(), message, e.type(), "input");
            case "prompt" -> new ApiError(e.status(), "the input, formatted by the chat template: " + message, e.type(),
                    "input");
            case "max_completion_tokens", "max_tokens" -> new ApiError(e.status(),
                    message.replace(field, "max_output_tokens"), e.type(), "max_output_tokens");
            case "response_format" -> new ApiError(e.status(), message.replace(field, "text.format"), e.type(), "text");
            case "tools", "tool_choice" -> new ApiError(e.status(), message.replace(".function.", ".")
                    .replace("{\"type\": \"function\", \"function\": {\"name\": ...}}",
                            "{\"type\": \"function\", \"name\": ...}"), e.type(), field);
            default -> e;
        };
    }
}
