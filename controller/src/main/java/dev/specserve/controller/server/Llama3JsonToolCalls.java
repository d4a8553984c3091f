package dev.specserve.controller.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Llama 3.1-3.3's JSON tool calls (vLLM's {@code llama3_json} parser): the whole answer is one or more
 * {@code {"name": ..., "parameters": {...}}} objects separated by {@code ;}, after an optional
 * {@code <|python_tag|>}; an answer that starts otherwise is text.
 */
final class Llama3JsonToolCalls implements ToolCallParser {
    static final String TAG = "<|python_tag|>";
    /** What Llama 3's chat templates ask of the model when tools are given. */
    private static final String INSTRUCTION = "\"parameters\": dictionary of argument name";

    /** True when {@code template} is a Llama 3 template that offers tools. */
    static boolean writtenBy(String template) {
        return template.contains(TAG) || template.contains(INSTRUCTION);
    }

    @Override
    public String name() {
        return "llama3_json";
    }

    @Override
    public Parsed parse(String text, Set<String> functions) {
        String s = text.strip();
        if (s.startsWith(TAG)) {
            s = s.substring(TAG.length()).strip();
        }
        List<Call> calls = new ArrayList<>();
        int i = 0;
        while (i < s.length()) {
            if (s.charAt(i) != '{') {
                return null;
            }
            int end = objectEnd(s, i);
            Call call = end < 0 ? null : ToolCallParser.call(s.substring(i, end), functions);
            if (call == null) {
                return null;
            }
            calls.add(call);
            i = skipSpace(s, end);
            if (i < s.length() && s.charAt(i) == ';') {
                i = skipSpace(s, i + 1);
            } else if (i < s.length()) {
                return null;
            }
        }
        return calls.isEmpty() ? null : new Parsed(null, List.copyOf(calls));
    }

    /** Everything is held while the answer starts as a call would ({@code {} or the tag); otherwise nothing. */
    @Override
    public int contentEnd(StringBuilder text, int sent) {
        if (sent > 0) {
            return text.length();
        }
        int start = skipSpace(text, 0);
        if (start == text.length()) {
            return 0;
        }
        String head = text.substring(start, Math.min(text.length(), start + TAG.length()));
        return text.charAt(start) == '{' || TAG.startsWith(head) || head.startsWith(TAG) ? 0 : text.length();
    }

    /** The index after the JSON object starting at {@code from}, or -1 when it does not close. */
    private static int objectEnd(String s, int from) {
        JsonNesting nesting = new JsonNesting();
        for (int j = from; j < s.length(); j++) {
            if (!nesting.feed(s.charAt(j))) {
                return -1;
            }
            if (nesting.closedValue()) {
                return j + 1;
            }
        }
        return -1;
    }

    private static int skipSpace(CharSequence s, int i) {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        return i;
    }
}
