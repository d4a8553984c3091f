package dev.specserve.controller.server;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * A model family's own syntax for tool calls in its text, for {@code tool_choice: "auto"}: the model decides
 * whether to call, and its output is parsed afterwards, as vLLM's tool parsers do ({@code --tool-call-parser}).
 * One syntax is known, Hermes', which Qwen 2/2.5/3, Hermes 2/3 and many fine-tunes write: any text, then one
 * {@code <tool_call>{"name": ..., "arguments": {...}}</tool_call>} block per call.
 */
final class ToolCallParser {
    static final String OPEN = "<tool_call>";
    static final String CLOSE = "</tool_call>";
    /** The {@code tool_call_parser} values. */
    static final List<String> SETTINGS = List.of("auto", "hermes", "none");

    /** The text before the first call (null when blank) and the calls, each a listed function's name and arguments. */
    record Parsed(String content, List<Call> calls) {}

    /** One call: the function's name and its arguments as a JSON object's text. */
    record Call(String name, String arguments) {}

    private ToolCallParser() {}

    /**
     * The parser {@code setting} asks for: {@code hermes}, {@code none} (empty), or {@code auto}: Hermes' when the
     * model's chat template writes {@code <tool_call>} (the template is where a model declares how it calls).
     */
    static Optional<ToolCallParser> forSetting(String setting, Optional<String> template) {
        return switch (setting.toLowerCase(Locale.ROOT)) {
            case "hermes" -> Optional.of(new ToolCallParser());
            case "none" -> Optional.empty();
            case "auto" -> template.filter(t -> t.contains(OPEN)).map(t -> new ToolCallParser());
            default -> throw new IllegalArgumentException("tool_call_parser must be one of " + SETTINGS + ", got '"
                    + setting + "'");
        };
    }

    String name() {
        return "hermes";
    }

    /**
     * The calls in {@code text}, or null when it holds none, or any block is not a whole call of a function in
     * {@code functions} with a JSON object of arguments (the output is then answered as text, as vLLM does). The
     * last block may lack its closing tag (a model may stop at end-of-sequence right after the JSON).
     */
    Parsed parse(String text, Set<String> functions) {
        int first = text.indexOf(OPEN);
        if (first < 0) {
            return null;
        }
        List<Call> calls = new ArrayList<>();
        for (int at = first; at >= 0; ) {
            int body = at + OPEN.length();
            int end = text.indexOf(CLOSE, body);
            Call call = call(end < 0 ? text.substring(body) : text.substring(body, end), functions);
            if (call == null) {
                return null;
            }
            calls.add(call);
            at = end < 0 ? -1 : text.indexOf(OPEN, end + CLOSE.length());
        }
        String content = text.substring(0, first);
        return new Parsed(content.isBlank() ? null : content, List.copyOf(calls));
    }

    private static Call call(String body, Set<String> functions) {
        JsonObject o;
        try {
            o = new JsonObject(body.strip());
        } catch (DecodeException | ClassCastException e) {
            return null;
        }
        Object arguments = o.getValue("arguments") != null ? o.getValue("arguments") : o.getValue("parameters");
        if (!(o.getValue("name") instanceof String name) || !functions.contains(name)) {
            return null;
        }
        if (arguments instanceof JsonObject a) {
            return new Call(name, a.encode());
        }
        if (arguments instanceof String s) { // some models write the arguments as a JSON string
            try {
                return new Call(name, new JsonObject(s).encode());
            } catch (DecodeException | ClassCastException e) {
                return null;
            }
        }
        return null;
    }

    /**
     * How much of a streamed output may go out as content now: all of it, except from where a call starts, or
     * may be starting (a tail that begins {@code <tool_call>}), on. Only the text from {@code sent}, what went out
     * before, is searched, so a stream costs time in its length, not its square.
     */
    int contentEnd(StringBuilder text, int sent) {
        int open = text.indexOf(OPEN, Math.max(0, sent - OPEN.length()));
        if (open >= 0) {
            return open;
        }
        int n = text.length();
        for (int k = Math.min(OPEN.length() - 1, n - sent); k > 0; k--) {
            if (OPEN.regionMatches(0, text.substring(n - k), 0, k)) {
                return n - k;
            }
        }
        return n;
    }
}
