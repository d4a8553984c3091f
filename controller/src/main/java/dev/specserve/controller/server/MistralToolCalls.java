package dev.specserve.controller.server;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Mistral's tool calls (vLLM's {@code mistral} parser): any text, then the {@code [TOOL_CALLS]} control token and
 * either a JSON array of {@code {"name": ..., "arguments": {...}}} calls (Mistral 7B v0.3, Mixtral 8x22B, Nemo,
 * Small 3.1) or, from tokenizer v11 on (Small 3.2, Magistral, Devstral), one {@code name[ARGS]{...}} per call,
 * each after its own {@code [TOOL_CALLS]}. The marker is a special token, so requests this parser reads keep
 * special tokens in their text ({@link #keepsSpecialTokens}), as vLLM's parser asks.
 */
final class MistralToolCalls implements ToolCallParser {
    static final String TAG = "[TOOL_CALLS]";
    static final String ARGS = "[ARGS]";
    /** What Mistral's chat templates write around the tools they offer. */
    private static final String AVAILABLE_TOOLS = "[AVAILABLE_TOOLS]";

    /** True when {@code template} is a Mistral template that offers tools. */
    static boolean writtenBy(String template) {
        return template.contains(TAG) || template.contains(AVAILABLE_TOOLS);
    }

    @Override
    public String name() {
        return "mistral";
    }

    @Override
    public boolean keepsSpecialTokens() {
        return true;
    }

    @Override
    public Parsed parse(String text, Set<String> functions) {
        int first = text.indexOf(TAG);
        if (first < 0) {
            return null;
        }
        String rest = text.substring(first + TAG.length()).strip();
        List<Call> calls = rest.startsWith("[") ? arrayCalls(rest, functions) : namedCalls(rest, functions);
        if (calls == null || calls.isEmpty()) {
            return null;
        }
        String content = text.substring(0, first);
        return new Parsed(content.isBlank() ? null : content, List.copyOf(calls));
    }

    /** {@code [{"name": ..., "arguments": {...}}, ...]}, or null when that is not what it holds. */
    private static List<Call> arrayCalls(String json, Set<String> functions) {
        JsonArray array;
        try {
            array = new JsonArray(json);
        } catch (DecodeException | ClassCastException e) {
            return null;
        }
        List<Call> calls = new ArrayList<>();
        for (Object o : array) {
            Call call = o instanceof JsonObject obj ? ToolCallParser.call(obj.encode(), functions) : null;
            if (call == null) {
                return null;
            }
            calls.add(call);
        }
        return calls;
    }

    /** {@code name[ARGS]{...}[TOOL_CALLS]name[ARGS]{...}...}, or null when that is not what it holds. */
    private static List<Call> namedCalls(String text, Set<String> functions) {
        List<Call> calls = new ArrayList<>();
        for (String segment : text.split(java.util.regex.Pattern.quote(TAG))) {
            int args = segment.indexOf(ARGS);
            if (args < 0) {
                return null;
            }
            JsonObject arguments;
            try {
                arguments = new JsonObject(segment.substring(args + ARGS.length()).strip());
            } catch (DecodeException | ClassCastException e) {
                return null;
            }
            Call call = ToolCallParser.call(new JsonObject().put("name", segment.substring(0, args).strip())
                    .put("arguments", arguments).encode(), functions);
            if (call == null) {
                return null;
            }
            calls.add(call);
        }
        return calls;
    }

    /** Held back from {@code [TOOL_CALLS]}, or a tail that may begin it. */
    @Override
    public int contentEnd(StringBuilder text, int sent) {
        return ToolCallParser.heldFrom(TAG, text, sent);
    }
}
