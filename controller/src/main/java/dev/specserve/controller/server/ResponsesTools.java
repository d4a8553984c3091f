package dev.specserve.controller.server;

import static dev.specserve.controller.server.JsonFields.typeName;

import dev.specserve.runtime.spec.InvalidRequestException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The Responses API's {@code tools}, {@code tool_choice} and {@code text.format} in the chat completions API's
 * form, so {@link ToolCalls} and {@link StructuredOutput} serve them as they serve a chat: the Responses API writes
 * a function flat ({@code {"type": "function", "name", "parameters"}}) where chat nests it under {@code function},
 * and a schema flat in {@code text.format} where chat nests it under {@code response_format.json_schema}. Tools
 * OpenAI runs itself (web search, file search, computer use, ...) are a 400 naming {@code tools}: specserve runs
 * none, and answering without them would pass the model's guess off as a search result.
 */
final class ResponsesTools {
    private ResponsesTools() {}

    /** The tools in chat's form, or null when none are sent (an empty array is none, as OpenAI takes it). */
    static JsonArray tools(Object v) {
        if (v == null) {
            return null;
        }
        if (!(v instanceof JsonArray tools)) {
            throw new InvalidRequestException("tools", "tools must be an array of {\"type\": \"function\", \"name\", "
                    + "\"parameters\"}, got " + typeName(v));
        }
        JsonArray out = new JsonArray();
        for (int i = 0; i < tools.size(); i++) {
            String at = "tools[" + i + "]";
            if (!(tools.getValue(i) instanceof JsonObject tool)) {
                throw new InvalidRequestException("tools", at + " must be an object, got " + typeName(tools.getValue(i)));
            }
            Object type = tool.getValue("type");
            if (!"function".equals(type)) {
                throw new InvalidRequestException("tools", at + " is a tool of type " + (type instanceof String t
                        ? "\"" + t + "\"" : typeName(type)) + ", which is not served: specserve runs no hosted "
                        + "tools; only function tools, which the client runs, are served");
            }
            JsonObject function = new JsonObject().put("name", tool.getValue("name"));
            if (tool.getValue("description") != null) {
                function.put("description", tool.getValue("description"));
            }
            if (tool.getValue("parameters") != null) {
                function.put("parameters", tool.getValue("parameters"));
            }
            if (tool.getValue("strict") != null && !(tool.getValue("strict") instanceof Boolean)) {
                throw new InvalidRequestException("tools", at + ".strict must be true or false");
            }
            out.add(new JsonObject().put("type", "function").put("function", function));
        }
        return out.isEmpty() ? null : out;
    }

    /**
     * {@code tool_choice} in chat's form, or null to leave it out: chat's default, {@code "auto"} with tools; with
     * no tools, {@code "auto"} and {@code "none"} mean a text answer, as OpenAI takes them.
     */
    static Object toolChoice(Object v, boolean tools) {
        if (v == null || !tools && ("auto".equals(v) || "none".equals(v))) {
            return null;
        }
        if ("auto".equals(v) || "none".equals(v) || "required".equals(v)) {
            return v;
        }
        if (v instanceof JsonObject o && "function".equals(o.getValue("type"))) {
            if (!(o.getValue("name") instanceof String name)) {
                throw new InvalidRequestException("tool_choice", "tool_choice {\"type\": \"function\"} needs the "
                        + "function's name: {\"type\": \"function\", \"name\": ...}");
            }
            return new JsonObject().put("type", "function").put("function", new JsonObject().put("name", name));
        }
        if (v instanceof JsonObject o && o.getValue("type") instanceof String type) {
            throw new InvalidRequestException("tool_choice", "tool_choice of type \"" + type + "\" is not served: "
                    + "specserve runs no hosted tools; choose \"auto\", \"none\", \"required\" or {\"type\": "
                    + "\"function\", \"name\": ...}");
        }
        throw new InvalidRequestException("tool_choice", "tool_choice must be \"auto\", \"none\", \"required\" or "
                + "{\"type\": \"function\", \"name\": ...}, got " + typeName(v));
    }

    /** {@code text.format} as chat's {@code response_format}, or null for text. */
    static JsonObject textFormat(Object text) {
        if (text == null) {
            return null;
        }
        if (!(text instanceof JsonObject t)) {
            throw new InvalidRequestException("text", "text must be an object {\"format\": {...}}, got "
                    + typeName(text));
        }
        Object verbosity = t.getValue("verbosity");
        if (verbosity != null && !"medium".equals(verbosity)) {
            throw new InvalidRequestException("text", "text.verbosity is not supported (only \"medium\"): the "
                    + "model writes as it writes");
        }
        Object f = t.getValue("format");
        if (f == null) {
            return null;
        }
        String type = f instanceof JsonObject o && o.getValue("type") instanceof String s ? s : null;
        if ("text".equals(type)) {
            return null;
        }
        if ("json_object".equals(type)) {
            return new JsonObject().put("type", "json_object");
        }
        if ("json_schema".equals(type)) {
            JsonObject format = (JsonObject) f;
            if (!(format.getValue("schema") instanceof JsonObject schema)) {
                throw new InvalidRequestException("text", "text.format json_schema needs \"schema\": {...}, a JSON "
                        + "schema object");
            }
            if (format.getValue("name") != null && !(format.getValue("name") instanceof String)) {
                throw new InvalidRequestException("text", "text.format.name must be a string");
            }
            JsonObject spec = new JsonObject().put("name", format.getValue("name")).put("schema", schema);
            if (format.getValue("strict") != null) {
                spec.put("strict", format.getValue("strict"));
            }
            return new JsonObject().put("type", "json_schema").put("json_schema", spec);
        }
        throw new InvalidRequestException("text", "text.format must be {\"type\": \"text\"}, {\"type\": "
                + "\"json_object\"} or {\"type\": \"json_schema\", \"name\", \"schema\"}, got " + typeName(f));
    }
}
