package dev.specserve.controller.server;

/**
 * Rewrites the Jinja2 syntax that Hugging Face chat templates use and Jinjava parses differently, before
 * compiling, into equivalent syntax Jinjava reads the Jinja2 way:
 * <ul>
 *   <li>{@code seq[::-1]} (reversed slice), which Jinjava cannot parse, becomes {@code (seq|reverse|list)};</li>
 *   <li>keyword arguments of {@code namespace(...)}: Jinjava binds {@code name=value} tighter than arithmetic,
 *       so {@code namespace(i=messages|length - 1)} would subtract from the argument; each value is
 *       parenthesised ({@code namespace(i=(messages|length - 1))}).</li>
 *   <li>{@code not x is defined}: Jinja2 binds {@code not} looser than tests, comparisons and {@code in}
 *       ({@code not (x is defined)}), Jinjava tighter ({@code (not x) is defined}, always true), which dropped
 *       DeepSeek's generation prompt and Llama's and Mistral's tools; within tags {@code not x is t} becomes
 *       {@code x is not t}, {@code not x in y} {@code x not in y}, {@code not x == y} {@code x != y} (and back);</li>
 *   <li>loop filters, {@code {% for m in messages if m.role != 'system' %}}, which Jinjava parses without
 *       complaint and gets wrong (its condition is read once, so the loop keeps every item or none): the items
 *       that pass are collected first, then the loop runs over them, so {@code loop.index} and {@code loop.last}
 *       count only those, as in Jinja2;</li>
 *   <li>a {@code for} loop's {@code else} branch (rendered when the loop ran no iteration), which Jinjava never
 *       renders: the loop sets a namespace flag, and an {@code if} after it renders the branch;</li>
 *   <li>the template's final newline is dropped, as Jinja2 does by default;</li>
 *   <li>HF's {@code lstrip_blocks}: spaces and tabs between a line's start and a block or comment tag are
 *       dropped here, since Jinjava's own setting also strips them before a tag in the middle of a line
 *       ({@code {% if x %}A {% endif %}} kept no space).</li>
 * </ul>
 * String literals are left alone.
 */
final class TemplateSource {
    private TemplateSource() {}

    static String rewrite(String template) {
        return NegatedTests.rewrite(namespaceArguments(reversedSlices(LoopRewrites.forElse(LoopRewrites.loopFilters(
                lstripBlocks(withoutFinalNewline(template)))))));
    }

    /**
     * Jinja2's {@code lstrip_blocks}: the spaces and tabs before a {@code {%} or {@code {#} tag are dropped when
     * only they stand between the tag and the start of its line ({@code {%+} keeps them).
     */
    static String lstripBlocks(String s) {
        StringBuilder out = new StringBuilder(s.length());
        int lineStart = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '{' && i + 1 < s.length() && (s.charAt(i + 1) == '%' || s.charAt(i + 1) == '#')
                    && !(i + 2 < s.length() && s.charAt(i + 2) == '+')) {
                int j = out.length();
                while (j > lineStart && (out.charAt(j - 1) == ' ' || out.charAt(j - 1) == '\t')) {
                    j--;
                }
                if (j == lineStart) {
                    out.setLength(lineStart);
                }
            }
            out.append(c);
            if (c == '\n') {
                lineStart = out.length();
            }
        }
        return out.toString();
    }

    /** Jinja2 drops a template's one final newline ({@code keep_trailing_newline=False}); Jinjava keeps it. */
    static String withoutFinalNewline(String s) {
        int cut = s.endsWith("\r\n") ? 2 : s.endsWith("\n") ? 1 : 0;
        return s.substring(0, s.length() - cut);
    }

    /** {@code x[::-1]} to {@code (x|reverse|list)} where x is a name, attribute path or subscript chain. */
    static String reversedSlices(String s) {
        StringBuilder out = new StringBuilder(s);
        for (int at = out.indexOf("[::-1]"); at >= 0; at = out.indexOf("[::-1]", at)) {
            int start = operandStart(out, at);
            out.replace(at, at + "[::-1]".length(), "|reverse|list)");
            out.insert(start, '(');
            at += 1;
        }
        return out.toString();
    }

    /** Where the operand ending just before {@code end} starts: identifiers, dots and balanced brackets. */
    private static int operandStart(CharSequence s, int end) {
        int i = end;
        while (i > 0) {
            char c = s.charAt(i - 1);
            if (Character.isLetterOrDigit(c) || c == '_' || c == '.') {
                i--;
            } else if (c == ']' || c == ')') {
                char open = c == ']' ? '[' : '(';
                int depth = 0;
                do {
                    char d = s.charAt(--i);
                    depth += d == c ? 1 : d == open ? -1 : 0;
                } while (depth > 0 && i > 0);
            } else {
                break;
            }
        }
        return i;
    }

    /** Parenthesises the value of every {@code name=value} argument of a {@code namespace(...)} call. */
    static String namespaceArguments(String s) {
        StringBuilder out = new StringBuilder();
        int from = 0;
        for (int at = s.indexOf("namespace("); at >= 0; at = s.indexOf("namespace(", from)) {
            int open = at + "namespace(".length();
            int close = matching(s, open - 1);
            if (close < 0) {
                break;
            }
            out.append(s, from, open);
            String sep = "";
            for (String arg : topLevelSplit(s.substring(open, close))) {
                int eq = keywordEquals(arg);
                out.append(sep).append(eq < 0 ? arg
                        : arg.substring(0, eq + 1) + "(" + arg.substring(eq + 1).strip() + ")");
                sep = ",";
            }
            out.append(')');
            from = close + 1;
        }
        return out.append(s.substring(from)).toString();
    }

    /** The index of the {@code ')'} closing the {@code '('} at {@code open}, skipping strings; -1 if none. */
    private static int matching(String s, int open) {
        int end = scan(s, open, (i, c, depth) -> depth == 0 && (c == ')' || c == ']' || c == '}'));
        return end >= 0 && s.charAt(end) == ')' ? end : -1;
    }

    /** Splits on commas outside brackets and strings. */
    private static java.util.List<String> topLevelSplit(String s) {
        java.util.List<String> parts = new java.util.ArrayList<>();
        int[] start = {0};
        scan(s, 0, (i, c, depth) -> {
            if (c == ',' && depth == 0) {
                parts.add(s.substring(start[0], i));
                start[0] = i + 1;
            }
            return false;
        });
        parts.add(s.substring(start[0]));
        return parts;
    }

    /** Sees each character outside string literals with the bracket depth after it; true stops the scan. */
    interface Visitor {
        boolean stop(int index, char c, int depth);
    }

    /** Walks {@code s} from {@code from}, skipping quoted strings; the index where the visitor stopped, or -1. */
    static int scan(String s, int from, Visitor visitor) {
        int depth = 0;
        char quote = 0;
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
                continue;
            }
            if (c == '\'' || c == '"') {
                quote = c;
                continue;
            }
            if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            }
            if (visitor.stop(i, c, depth)) {
                return i;
            }
        }
        return -1;
    }

    /** The {@code =} of a {@code name=value} argument ({@code ==} is not one), or -1. */
    private static int keywordEquals(String arg) {
        String t = arg.stripLeading();
        int lead = arg.length() - t.length();
        int i = 0;
        while (i < t.length() && (Character.isLetterOrDigit(t.charAt(i)) || t.charAt(i) == '_')) {
            i++;
        }
        int j = i;
        while (j < t.length() && t.charAt(j) == ' ') {
            j++;
        }
        boolean keyword = i > 0 && j < t.length() && t.charAt(j) == '=' && !t.startsWith("=", j + 1);
        return keyword ? lead + j : -1;
    }
}
