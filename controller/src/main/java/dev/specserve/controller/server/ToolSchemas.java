package dev.specserve.controller.server;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The schema a tool-call constraint composes from the request's {@code tools}: where each tool's parameters sit in
 * it, and its refusals told in the terms of the tools themselves.
 */
final class ToolSchemas {
    private static final Pattern IN_REQUIRED = Pattern.compile("#/items/anyOf/(\\d+)/properties/parameters");

    private ToolSchemas() {}

    /**
     * A refusal of the calls' grammar (compiled by the engine) that points into the schema {@link ToolCalls} composed
     * (an array of calls for {@code "required"}) is told at the tool's own {@code function.parameters}, by its index
     * and name.
     */
    static ApiError inToolTerms(ToolCalls calls, ApiError e) {
        if (!"tools".equals(e.param()) || calls.grammar() == null) {
            return e;
        }
        String message = e.message();
        if (calls.named() != null) {
            message = message.replace(" at #", " at " + at(calls, indexOf(calls, calls.named())) + "#");
        } else {
            Matcher m = IN_REQUIRED.matcher(message);
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                m.appendReplacement(out, Matcher.quoteReplacement(at(calls, Integer.parseInt(m.group(1))) + "#"));
            }
            message = m.appendTail(out).toString();
        }
        return new ApiError(e.status(), message, e.type(), e.param());
    }

    private static int indexOf(ToolCalls calls, String name) {
        for (int i = 0; i < calls.tools().size(); i++) {
            if (name.equals(functionName(calls, i))) {
                return i;
            }
        }
        return -1;
    }

    private static String functionName(ToolCalls calls, int i) {
        return i < 0 || i >= calls.tools().size() ? "?"
                : String.valueOf(((Map<?, ?>) calls.tools().get(i).get("function")).get("name"));
    }

    private static String at(ToolCalls calls, int i) {
        return "tools[" + i + "].function.parameters (function '" + functionName(calls, i) + "') ";
    }

    /**
     * {@code schema}'s local references ({@code #/$defs/X}, as Pydantic writes nested models) made to point where
     * the schema now sits, at {@code at} inside the composed schema, so they still resolve.
     */
    static JsonObject rooted(JsonObject schema, String at) {
        JsonObject out = new JsonObject();
        schema.forEach(e -> out.put(e.getKey(), "$ref".equals(e.getKey()) && e.getValue() instanceof String ref
                && (ref.equals("#") || ref.startsWith("#/")) ? at + ref.substring(1) : rootedValue(e.getValue(), at)));
        return out;
    }

    private static Object rootedValue(Object v, String at) {
        if (v instanceof JsonObject o) {
            return rooted(o, at);
        }
        if (v instanceof JsonArray a) {
            JsonArray out = new JsonArray();
            a.forEach(item -> out.add(rootedValue(item, at)));
            return out;
        }
        return v;
    }
}
