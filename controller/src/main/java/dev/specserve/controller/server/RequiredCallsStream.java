package dev.specserve.controller.server;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Streams the calls of a {@code "required"} tool choice as they are written, as OpenAI streams them: per call a
 * first delta with its index, id, type and name, then its arguments piece by piece. The output is constrained to
 * {@code [{"name": "...", "parameters": ...}, ...]} ({@link ToolCalls}), so it is read by position: a call's head,
 * then its arguments up to where their value closes. Between the two only brackets, commas and spaces are written.
 */
final class RequiredCallsStream {
    private static final Pattern HEAD = Pattern.compile("\\{\"name\": \"([A-Za-z0-9_-]+)\", \"parameters\": ");

    private final StringBuilder text = new StringBuilder();
    private int pos;
    private int calls;
    private boolean inArguments;
    private JsonNesting nesting;

    /** True once a call's first delta went out. */
    boolean started() {
        return calls > 0;
    }

    /** The {@code tool_calls} deltas that {@code more} text completes, in order (empty when none). */
    JsonArray append(String more) {
        text.append(more);
        JsonArray out = new JsonArray();
        while (pos < text.length()) {
            if (!inArguments) {
                Matcher m = HEAD.matcher(text).region(pos, text.length());
                if (!m.find()) {
                    break; // brackets and separators, or a head still being written
                }
                out.add(new JsonObject().put("index", calls++).put("id", ToolCalls.newCallId()).put("type", "function")
                        .put("function", new JsonObject().put("name", m.group(1)).put("arguments", "")));
                pos = m.end();
                inArguments = true;
                nesting = new JsonNesting();
                continue;
            }
            int start = pos;
            while (pos < text.length() && inArguments) {
                if (!nesting.feed(text.charAt(pos))) {
                    inArguments = false; // the call's own brace: a scalar value ended before it
                } else {
                    pos++;
                    inArguments = !nesting.closedValue();
                }
            }
            if (pos > start) {
                String arguments = text.substring(start, pos);
                JsonObject last = out.isEmpty() ? null : out.getJsonObject(out.size() - 1);
                if (last != null && last.getInteger("index") == calls - 1) { // one entry per call and chunk
                    JsonObject f = last.getJsonObject("function");
                    f.put("arguments", f.getString("arguments") + arguments);
                } else {
                    out.add(new JsonObject().put("index", calls - 1)
                            .put("function", new JsonObject().put("arguments", arguments)));
                }
            }
        }
        return out;
    }

    /** The calls {@code text} streams as, whole: those written and one cut short, arguments as far as written. */
    static JsonArray calls(String text) {
        JsonArray calls = new JsonArray();
        for (Object o : new RequiredCallsStream().append(text)) {
            JsonObject delta = (JsonObject) o;
            if (delta.containsKey("id")) {
                calls.add(delta.copy());
            } else {
                JsonObject f = calls.getJsonObject(delta.getInteger("index")).getJsonObject("function");
                f.put("arguments", f.getString("arguments") + delta.getJsonObject("function").getString("arguments"));
            }
        }
        return calls;
    }
}
