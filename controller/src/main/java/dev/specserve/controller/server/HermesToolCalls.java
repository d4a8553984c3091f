package dev.specserve.controller.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Hermes' tool-call syntax, which Qwen 2-3, Hermes 2/3 and many fine-tunes write: any text, then one
 * {@code <tool_call>{"name": ..., "arguments": {...}}</tool_call>} block per call (vLLM's {@code hermes} parser).
 */
final class HermesToolCalls implements ToolCallParser {
    static final String OPEN = "<tool_call>";
    static final String CLOSE = "</tool_call>";

    @Override
    public String name() {
        return "hermes";
    }

    /** The blocks' calls; the last block may lack its closing tag (a model may stop right after the JSON). */
    @Override
    public Parsed parse(String text, Set<String> functions) {
        int first = text.indexOf(OPEN);
        if (first < 0) {
            return null;
        }
        List<Call> calls = new ArrayList<>();
        for (int at = first; at >= 0; ) {
            int body = at + OPEN.length();
            int end = text.indexOf(CLOSE, body);
            Call call = ToolCallParser.call(end < 0 ? text.substring(body) : text.substring(body, end), functions);
            if (call == null) {
                return null;
            }
            calls.add(call);
            at = end < 0 ? -1 : text.indexOf(OPEN, end + CLOSE.length());
        }
        String content = text.substring(0, first);
        return new Parsed(content.isBlank() ? null : content, List.copyOf(calls));
    }

    /** Held back from a {@code <tool_call>}, or a tail that may begin one. */
    @Override
    public int contentEnd(StringBuilder text, int sent) {
        return ToolCallParser.heldFrom(OPEN, text, sent);
    }
}
