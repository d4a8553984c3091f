package dev.specserve.controller.server;

import static dev.specserve.controller.server.JsonFields.bool;
import static dev.specserve.controller.server.JsonFields.integer;
import static dev.specserve.controller.server.JsonFields.typeName;

import dev.specserve.runtime.engine.EngineRequest;
import dev.specserve.runtime.spec.InvalidRequestException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks an OpenAI chat completions body and turns it into the same {@link CompletionRequest} the completions
 * API makes: the messages rendered by the model's {@link ChatTemplate} become the prompt, and every other field
 * is read by the shared {@link CompletionRequestParser#common} (same defaults, limits and errors).
 *
 * <p>Chat-only fields: {@code messages} (roles system, user and assistant; content a string or an array of
 * {@code {"type": "text", "text"}} parts, joined with newlines), {@code max_completion_tokens} (or the older
 * {@code max_tokens}), {@code logprobs} (true/false) with {@code top_logprobs} (0..5), {@code tools} with a
 * {@code tool_choice} ({@link ToolCalls}; tool messages and assistant tool calls go to the template as they are).
 * Deprecated function calls, non-text content and the other parameters that would change the output but are not
 * implemented are refused with a 400 naming them.
 */
final class ChatRequestParser {
    static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");
    /** Fields of a message that would change the conversation and are not implemented. */
    private static final List<String> UNSUPPORTED_MESSAGE_FIELDS = List.of("function_call", "audio");
    private static final Map<String, Object> UNSUPPORTED = unsupported();

    private static Map<String, Object> unsupported() {
        Map<String, Object> m = new LinkedHashMap<>(UnsupportedFields.COMPLETIONS);
        m.remove("messages");
        m.remove("top_logprobs");
        m.remove("suffix");
        m.put("prompt", null);
        m.put("echo", false);
        m.remove("tools");
        m.put("functions", null);
        m.put("function_call", "none");
        m.put("audio", null);
        m.put("modalities", new JsonArray().add("text"));
        m.put("prediction", null);
        m.put("chat_template", null);
        m.put("documents", null);
        return Collections.unmodifiableMap(m);
    }

    private final CompletionRequestParser common;
    private final ChatTemplate template;

    ChatRequestParser(CompletionRequestParser common, ChatTemplate template) {
        this.common = common;
        this.template = template;
    }

    /** A parsed chat request and the name its token limit was sent under. */
    record Parsed(CompletionRequest request, String maxTokensField) {
        /** A refusal naming the token limit as the client did (the engine knows it as {@code max_tokens}). */
        ApiError named(ApiError e) {
            return "max_tokens".equals(e.param()) && !"max_tokens".equals(maxTokensField)
                    ? new ApiError(e.status(), e.message().replace("max_tokens", maxTokensField), e.type(), maxTokensField)
                    : e;
        }
    }

    /** {@code max_completion_tokens} where the request sets it, else the older {@code max_tokens}. */
    static String maxTokensField(JsonObject json) {
        return json.getValue("max_completion_tokens") != null ? "max_completion_tokens" : "max_tokens";
    }

    CompletionRequest parse(JsonObject json) {
        List<Map<String, Object>> messages = messages(json.getValue("messages"));
        String maxField = maxTokensField(json);
        // unset: as many as the context has room for after the prompt (OpenAI's and vLLM's chat default)
        int maxTokens = json.getValue(maxField) == null ? EngineRequest.FILL_CONTEXT : common.maxTokens(json, maxField);
        boolean logprobs = bool(json, "logprobs");
        int top = json.getValue("top_logprobs") == null ? 0
                : (int) integer(json, "top_logprobs", 0, CompletionRequestParser.MAX_LOGPROBS);
        if (json.getValue("top_logprobs") != null && !logprobs) {
            throw new InvalidRequestException("top_logprobs", "top_logprobs needs logprobs: true");
        }
        UnsupportedFields.refuse(json, UNSUPPORTED, "prompt",
                "this is the chat completions API: send messages, or post the prompt to /v1/completions");
        ToolCalls tools = ToolCalls.parse(json, template.toolCallParser());
        String prompt = template.render(messages, rendering(json, messages).withTools(tools == null ? null : tools.tools()));
        if (prompt.isEmpty()) {
            throw new InvalidRequestException("messages", "the model's chat template rendered these messages as "
                    + "an empty prompt");
        }
        CompletionRequest req = common.common(json, List.of(Prompt.text(prompt)), maxTokens, logprobs ? top : -1);
        if (json.getValue("prompt_logprobs") != null) {
            req = PromptOptions.withPromptLogprobs(req, (int) integer(json, "prompt_logprobs", 0,
                    CompletionRequestParser.MAX_LOGPROBS), false);
        }
        return req.withToolCalls(tools);
    }

    /** The prompt {@code /tokenize} counts for a chat: rendered as a chat request renders it, its tools included. */
    String render(JsonObject json) {
        UnsupportedFields.refuse(json, java.util.Collections.singletonMap("chat_template", null), null, null); // as chat
        List<Map<String, Object>> messages = messages(json.getValue("messages"));
        ToolCalls tools = json.getValue("tools") == null ? null
                : ToolCalls.parse(json.copy().put("tool_choice", "none"), java.util.Optional.empty()); // the list
        return template.render(messages, rendering(json, messages).withTools(tools == null ? null : tools.tools()));
    }

    /**
     * vLLM's rendering fields: {@code add_generation_prompt} (default true), {@code continue_final_message} (default
     * false: true continues the last message, which must be the assistant's) and {@code chat_template_kwargs}.
     */
    static ChatTemplate.Rendering rendering(JsonObject json, List<Map<String, Object>> messages) {
        boolean generationPrompt = json.getValue("add_generation_prompt") == null || bool(json, "add_generation_prompt");
        boolean continueLast = bool(json, "continue_final_message");
        if (continueLast && !"assistant".equals(messages.get(messages.size() - 1).get("role"))) {
            throw new InvalidRequestException("continue_final_message", "continue_final_message continues the last "
                    + "message, which must be the assistant's");
        }
        Object kwargs = json.getValue("chat_template_kwargs");
        if (kwargs != null && !(kwargs instanceof JsonObject)) {
            throw new InvalidRequestException("chat_template_kwargs", "chat_template_kwargs must be an object of "
                    + "template variables, got " + typeName(kwargs));
        }
        return new ChatTemplate.Rendering(null, generationPrompt, continueLast,
                kwargs == null ? Map.of() : JsonFields.plainMap((JsonObject) kwargs));
    }

    /** The messages as the template sees them: maps with {@code role}, {@code content} and {@code name} if given. */
    static List<Map<String, Object>> messages(Object v) {
        if (v == null) {
            throw new InvalidRequestException("messages", "messages is required: an array of {\"role\", \"content\"}");
        }
        if (!(v instanceof JsonArray a)) {
            throw new InvalidRequestException("messages", "messages must be an array of {\"role\", \"content\"}, got "
                    + typeName(v));
        }
        if (a.isEmpty()) {
            throw new InvalidRequestException("messages", "messages is empty; send at least one message");
        }
        List<Map<String, Object>> out = new ArrayList<>(a.size());
        for (int i = 0; i < a.size(); i++) {
            out.add(message(a.getValue(i), "messages[" + i + "]"));
        }
        return Collections.unmodifiableList(out);
    }

    private static Map<String, Object> message(Object v, String at) {
        if (!(v instanceof JsonObject m)) {
            throw new InvalidRequestException("messages", at + " must be an object with role and content, got "
                    + typeName(v));
        }
        Object role = m.getValue("role");
        if (!(role instanceof String r) || !ROLES.contains(r)) {
            throw new InvalidRequestException("messages", at + ".role must be one of \"system\", \"developer\", "
                    + "\"user\", \"assistant\", \"tool\"; got " + (role == null ? "nothing" : typeName(role)));
        }
        for (String f : UNSUPPORTED_MESSAGE_FIELDS) {
            if (m.getValue(f) != null) {
                throw new InvalidRequestException("messages", at + "." + f + " is not supported (the deprecated "
                        + "function calls, audio); use tools");
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("role", "developer".equals(r) ? "system" : r); // OpenAI's newer name; templates know "system"
        // an assistant message that made tool calls may have no content
        out.put("content", m.getValue("tool_calls") != null && m.getValue("content") == null ? ""
                : content(m.getValue("content"), at + ".content"));
        ToolCallMessages.fields(m, r, at, out);
        Object name = m.getValue("name");
        if (name != null) {
            if (!(name instanceof String)) {
                throw new InvalidRequestException("messages", at + ".name must be a string, got " + typeName(name));
            }
            out.put("name", name);
        }
        return Collections.unmodifiableMap(out);
    }

    /** A string, or an array of text parts joined with newlines. */
    private static String content(Object v, String at) {
        if (v instanceof String s) {
            return s;
        }
        if (!(v instanceof JsonArray parts)) {
            throw new InvalidRequestException("messages", at + " must be a string or an array of text parts, got "
                    + (v == null ? "nothing" : typeName(v)));
        }
        List<String> texts = new ArrayList<>(parts.size());
        for (int i = 0; i < parts.size(); i++) {
            Object p = parts.getValue(i);
            String partAt = at + "[" + i + "]";
            if (!(p instanceof JsonObject part)) {
                throw new InvalidRequestException("messages", partAt + " must be an object {\"type\": \"text\", "
                        + "\"text\"}, got " + typeName(p));
            }
            if (!"text".equals(part.getValue("type"))) {
                throw new InvalidRequestException("messages", partAt + ".type must be \"text\" (only text content "
                        + "is supported), got " + typeName(part.getValue("type")));
            }
            if (!(part.getValue("text") instanceof String text)) {
                throw new InvalidRequestException("messages", partAt + ".text must be a string, got "
                        + typeName(part.getValue("text")));
            }
            texts.add(text);
        }
        return String.join("\n", texts);
    }
}
