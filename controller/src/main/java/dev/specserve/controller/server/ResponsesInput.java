package dev.specserve.controller.server;

import static dev.specserve.controller.server.JsonFields.typeName;

import dev.specserve.runtime.spec.InvalidRequestException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Set;

/**
 * A Responses API request's {@code instructions} and {@code input} as the chat completions API's {@code messages},
 * so the model's chat template renders them exactly as it renders a chat. The conversation is the input, after a
 * stored response's when the request continues one ({@link ResponseStore}): messages, the model's earlier
 * {@code function_call}s (an assistant message
 * with {@code tool_calls}, consecutive calls in one message, as a chat client sends them) and their
 * {@code function_call_output}s (tool messages). Every refusal names {@code input} (or {@code instructions}) and
 * the item it found, so a client sending images, files or items of OpenAI's hosted tools learns they are not
 * served rather than being answered without them.
 */
final class ResponsesInput {
    private ResponsesInput() {}

    private static final Set<String> ROLES = Set.of("user", "system", "developer", "assistant");

    /** The request's {@code input} as an array of items: a string is one user message. */
    static JsonArray items(JsonObject json) {
        Object input = json.getValue("input");
        if (input instanceof String s) {
            return new JsonArray().add(new JsonObject().put("role", "user").put("content", s));
        }
        if (!(input instanceof JsonArray items) || items.isEmpty()) {
            throw new InvalidRequestException("input", "input must be a string or a non-empty array of items "
                    + "(messages, function_call, function_call_output), got " + (input == null ? "nothing"
                    : input instanceof JsonArray ? "an empty array" : typeName(input)));
        }
        return items;
    }

    /** The chat messages: the request's instructions as a system message first, then the items. */
    static JsonArray messages(JsonObject json, JsonArray items) {
        JsonArray out = new JsonArray();
        Object instructions = json.getValue("instructions");
        if (instructions != null) {
            if (!(instructions instanceof String s)) {
                throw new InvalidRequestException("instructions", "instructions must be a string, got "
                        + typeName(instructions));
            }
            out.add(new JsonObject().put("role", "system").put("content", s));
        }
        for (int i = 0; i < items.size(); i++) {
            String at = "input[" + i + "]";
            if (!(items.getValue(i) instanceof JsonObject item)) {
                throw new InvalidRequestException("input", at + " must be an object, got " + typeName(items.getValue(i)));
            }
            Object type = item.getValue("type");
            if (type == null || "message".equals(type)) {
                out.add(message(item, at));
            } else if ("function_call".equals(type)) {
                call(item, at, out);
            } else if ("function_call_output".equals(type)) {
                out.add(new JsonObject().put("role", "tool").put("tool_call_id", string(item, "call_id", at))
                        .put("content", output(item.getValue("output"), at + ".output")));
            } else {
                throw new InvalidRequestException("input", at + " is an item of type " + named(type) + ", which is "
                        + "not served: input items are messages, function_call and function_call_output (OpenAI's "
                        + "hosted tools, reasoning items and item references are not served)");
            }
        }
        return out;
    }

    /** A message; the developer role is the system role of the chat template. */
    private static JsonObject message(JsonObject item, String at) {
        Object role = item.getValue("role");
        if (!(role instanceof String r) || !ROLES.contains(r)) {
            throw new InvalidRequestException("input", at + ".role must be one of \"user\", \"system\", \"developer\", "
                    + "\"assistant\"; got " + (role == null ? "nothing" : typeName(role)));
        }
        Object content = item.getValue("content");
        return new JsonObject().put("role", "developer".equals(r) ? "system" : r)
                .put("content", content instanceof String ? content : parts(content, at + ".content"));
    }

    /** Content parts as the chat API's text parts (joined as chat joins them); any other part is refused. */
    private static JsonArray parts(Object v, String at) {
        if (!(v instanceof JsonArray parts)) {
            throw new InvalidRequestException("input", at + " must be a string or an array of input_text parts, got "
                    + (v == null ? "nothing" : typeName(v)));
        }
        JsonArray out = new JsonArray();
        for (int i = 0; i < parts.size(); i++) {
            String partAt = at + "[" + i + "]";
            Object type = parts.getValue(i) instanceof JsonObject p ? p.getValue("type") : null;
            if (!"input_text".equals(type) && !"output_text".equals(type)) {
                throw new InvalidRequestException("input", partAt + (type == null ? " must be an object with a type"
                        : " is a part of type " + named(type) + ", which is not served: only text parts "
                        + "(input_text, output_text) are"));
            }
            out.add(new JsonObject().put("type", "text").put("text", string((JsonObject) parts.getValue(i), "text",
                    partAt)));
        }
        return out;
    }

    /** The model's earlier call, added to the assistant message just before it if there is one. */
    private static void call(JsonObject item, String at, JsonArray out) {
        JsonObject call = new JsonObject().put("id", string(item, "call_id", at)).put("type", "function")
                .put("function", new JsonObject().put("name", string(item, "name", at))
                        .put("arguments", string(item, "arguments", at)));
        JsonObject last = out.isEmpty() ? null : out.getJsonObject(out.size() - 1);
        if (last != null && "assistant".equals(last.getString("role"))) {
            JsonArray calls = last.getJsonArray("tool_calls");
            if (calls == null) {
                last.put("tool_calls", calls = new JsonArray());
            }
            calls.add(call);
        } else {
            out.add(new JsonObject().put("role", "assistant").put("tool_calls", new JsonArray().add(call)));
        }
    }

    /** A call's output: a string, or text parts joined. */
    private static Object output(Object v, String at) {
        return v instanceof String ? v : parts(v, at);
    }

    private static String named(Object type) {
        return type instanceof String t ? "\"" + t + "\"" : typeName(type);
    }

    private static String string(JsonObject item, String field, String at) {
        if (!(item.getValue(field) instanceof String s)) {
            throw new InvalidRequestException("input", at + "." + field + " must be a string, got "
                    + (item.getValue(field) == null ? "nothing" : typeName(item.getValue(field))));
        }
        return s;
    }
}
