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
        return negatedTests(namespaceArguments(reversedSlices(loopFilters(lstripBlocks(withoutFinalNewline(template))))));
    }

    /** {@code for <target> in <iterable> if <condition>} inside a block tag, with its whitespace markers. */
    private static final java.util.regex.Pattern FOR = java.util.regex.Pattern.compile(
            "([-+]?)\\s*for\\s+(.+?)\\s+in\\s+(.+?)\\s*(-?)", java.util.regex.Pattern.DOTALL);

    /**
     * {@code {% for x in seq if cond %}} to {@code {% set f = [] %}{% for x in seq %}{% if cond %}{% do
     * f.append(x) %}{% endif %}{% endfor %}{% for x in f %}}: the filter applied before the loop counts.
     */
    static String loopFilters(String s) {
        StringBuilder out = new StringBuilder(s.length());
        int from = 0;
        int n = 0;
        for (int open = s.indexOf("{%", from); open >= 0; open = s.indexOf("{%", from)) {
            int close = s.indexOf("%}", open + 2);
            if (close < 0) {
                break;
            }
            java.util.regex.Matcher m = FOR.matcher(s.substring(open + 2, close));
            int cut = m.matches() && !m.group(3).strip().endsWith("recursive") ? topLevelIf(m.group(3)) : -1;
            out.append(s, from, open);
            if (cut < 0) {
                out.append(s, open, close + 2);
            } else {
                String target = m.group(2).strip();
                String item = target.contains(",") ? "[" + target.replaceAll("^\\(|\\)$", "") + "]" : target;
                String list = "specserve_loop_filter_" + n++;
                out.append("{%").append(m.group(1)).append(" set ").append(list).append(" = [] %}")
                        .append("{% for ").append(target).append(" in ").append(m.group(3).substring(0, cut).strip()).append(" %}")
                        .append("{% if ").append(m.group(3).substring(cut + 2).strip()).append(" %}")
                        .append("{% do ").append(list).append(".append(").append(item).append(") %}")
                        .append("{% endif %}{% endfor %}")
                        .append("{% for ").append(target).append(" in ").append(list).append(' ').append(m.group(4))
                        .append("%}");
            }
            from = close + 2;
        }
        return out.append(s.substring(from)).toString();
    }

    /** Where the word {@code if} stands in {@code s} outside brackets and strings, or -1. */
    private static int topLevelIf(String s) {
        return scan(s, 0, (i, c, depth) -> depth == 0 && c == 'i' && s.startsWith("if", i) && i > 0
                && Character.isWhitespace(s.charAt(i - 1)) && i + 2 < s.length() && Character.isWhitespace(s.charAt(i + 2)));
    }

    /** A name, attribute path or subscript chain ({@code message['content']}, {@code a.b[0]}). */
    private static final String STRING = "'[^']*'|\"[^\"]*\"";
    private static final String OPERAND = STRING + "|[A-Za-z_]\\w*(?:\\.[A-Za-z_]\\w*|\\[(?:" + STRING + "|\\d+)\\])*"
            + "(?:\\s*\\|\\s*[A-Za-z_]\\w*)*"; // and filters without arguments: not x|length == 1
    /** A string literal (left as it is), or {@code not <operand> <operator>}. */
    private static final java.util.regex.Pattern NOT = java.util.regex.Pattern.compile("(" + STRING + ")"
            + "|(?<![\\w.])not\\s+(" + OPERAND + ")\\s+(is\\s+not|is|not\\s+in|in|==|!=)(?=\\s)");

    /** Jinja2's precedence of {@code not} over tests, {@code in} and comparisons, spelled out within tags. */
    static String negatedTests(String s) {
        StringBuilder out = new StringBuilder(s.length());
        int from = 0;
        while (true) {
            int open = nextTag(s, from);
            if (open < 0) {
                return out.append(s, from, s.length()).toString();
            }
            int close = s.indexOf(s.charAt(open + 1) == '%' ? "%}" : "}}", open + 2);
            if (close < 0) {
                return out.append(s, from, s.length()).toString();
            }
            out.append(s, from, open + 2);
            java.util.regex.Matcher m = NOT.matcher(s.substring(open + 2, close));
            StringBuilder code = new StringBuilder();
            while (m.find()) {
                if (m.group(1) != null) {
                    m.appendReplacement(code, java.util.regex.Matcher.quoteReplacement(m.group(1)));
                    continue;
                }
                String op = m.group(3).replaceAll("\\s+", " ");
                String negated = switch (op) {
                    case "is" -> "is not";
                    case "is not" -> "is";
                    case "in" -> "not in";
                    case "not in" -> "in";
                    case "==" -> "!=";
                    default -> "==";
                };
                m.appendReplacement(code, java.util.regex.Matcher.quoteReplacement(m.group(2) + " " + negated));
            }
            m.appendTail(code);
            out.append(code);
            from = close;
        }
    }

    private static int nextTag(String s, int from) {
        int a = s.indexOf("{%", from);
        int b = s.indexOf("{{", from);
        return a < 0 ? b : b < 0 ? a : Math.min(a, b);
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
    private interface Visitor {
        boolean stop(int index, char c, int depth);
    }

    /** Walks {@code s} from {@code from}, skipping quoted strings; the index where the visitor stopped, or -1. */
    private static int scan(String s, int from, Visitor visitor) {
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
