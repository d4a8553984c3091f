package dev.specserve.controller.server;

import dev.specserve.runtime.spec.InvalidRequestException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The tool fields of a conversation's earlier messages, as a chat template reads them: an assistant's
 * {@code tool_calls} and a tool message's {@code tool_call_id}.
 *
 * <p>OpenAI clients send a call's {@code function.arguments} as JSON text; templates (Hermes, Qwen2.5, Llama 3.1,
 * Mistral) write {@code arguments | tojson}, which on text gives a quoted, escaped string the model never saw in
 * training. So, as vLLM and Transformers do, the arguments reach the template parsed (missing or blank: an empty
 * object), and an empty {@code tool_calls} list is left out. Arguments that are not JSON (a call that
 * {@code max_tokens} cut short, as this server answered it) reach the template as the text, as OpenAI takes any
 * string: the conversation goes on.
 */
final class ToolCallMessages {
    private ToolCallMessages() {}

    /** {@code m}'s tool fields, checked, into {@code out} (what the template sees). */
    static void fields(JsonObject m, String role, String at, Map<String, Object> out) {
        Object calls = m.getValue("tool_calls");
        if (calls != null) {
            if (!"assistant".equals(role) || !(calls instanceof JsonArray array)) {
                throw new InvalidRequestException("messages", at + ".tool_calls must be an array, on an assistant "
                        + "message");
            }
            if (!array.isEmpty()) {
                out.put("tool_calls", forTemplate(array, at + ".tool_calls"));
            }
        }
        Object callId = m.getValue("tool_call_id");
        if ("tool".equals(role) != (callId instanceof String)) {
            throw new InvalidRequestException("messages", at + (callId == null ? " (role tool) needs a tool_call_id"
                    : ".tool_call_id belongs on a tool message, as a string"));
        }
        if (callId != null) {
            out.put("tool_call_id", callId);
        }
    }

    private static List<Object> forTemplate(JsonArray calls, String at) {
        List<Object> out = new ArrayList<>(calls.size());
        for (int i = 0; i < calls.size(); i++) {
            if (!(calls.getValue(i) instanceof JsonObject call)) {
                throw new InvalidRequestException("messages", at + "[" + i + "] must be an object");
            }
            JsonObject copy = call.copy();
            if (copy.getValue("function") instanceof JsonObject function) {
                function.put("arguments", arguments(function.getValue("arguments")));
            }
            out.add(JsonFields.plain(copy));
        }
        return out;
    }

    private static Object arguments(Object given) {
        if (given == null || given instanceof String s && s.isBlank()) {
            return new JsonObject();
        }
        if (!(given instanceof String text)) {
            return given; // already an object (some clients send one)
        }
        try {
            return Json.decodeValue(text);
        } catch (DecodeException e) {
            return text; // cut short, or not JSON at all: the text as it was
        }
    }
}
