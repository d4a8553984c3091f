package dev.specserve.controller.server;

/**
 * How deep in brackets a JSON text stands, character by character, with strings and their escapes skipped: enough
 * to find where a value written by a model or a grammar ends, without parsing it.
 */
final class JsonNesting {
    private int depth;
    private boolean inString;
    private boolean escaped;
    private boolean closedValue;

    /** Takes the next character; false when it closes a bracket opened before the scan began (and is not taken). */
    boolean feed(char c) {
        closedValue = false;
        if (inString) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                inString = false;
            }
        } else if (c == '"') {
            inString = true;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (depth == 0) {
                return false;
            }
            closedValue = --depth == 0;
        }
        return true;
    }

    /** True when the last character taken closed the outermost bracket: a whole object or array ended with it. */
    boolean closedValue() {
        return closedValue;
    }
}
