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
    private int depth;
    private boolean inString;
    private boolean escaped;

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
                continue;
            }
            int start = pos;
            while (pos < text.length() && inArguments) {
                int step = step(text.charAt(pos));
                if (step != ENDED_BEFORE) {
                    pos++;
                }
                inArguments = step == GOES_ON;
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

    private static final int GOES_ON = 0;
    private static final int ENDED_WITH = 1;
    private static final int ENDED_BEFORE = 2;

    /** Whether {@code c} continues the arguments' value, is its last character, or comes after it. */
    private int step(char c) {
        if (inString) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                inString = false;
            }
            return GOES_ON;
        }
        if (c == '"') {
            inString = true;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (depth == 0) {
                return ENDED_BEFORE; // the call's own brace: a scalar value ended before it
            }
            return --depth == 0 ? ENDED_WITH : GOES_ON;
        }
        return GOES_ON;
    }
}
