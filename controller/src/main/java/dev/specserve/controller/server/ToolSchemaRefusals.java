package dev.specserve.controller.server;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Refusals of a tool-call constraint, told in the terms of the request's own {@code tools}. */
final class ToolSchemaRefusals {
    private static final Pattern IN_REQUIRED = Pattern.compile("#/items/anyOf/(\\d+)/properties/parameters");

    private ToolSchemaRefusals() {}

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
}
