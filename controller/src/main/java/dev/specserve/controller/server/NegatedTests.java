package dev.specserve.controller.server;

/**
 * Jinja2 binds {@code not} looser than tests, comparisons and {@code in} ({@code not x is defined} is
 * {@code not (x is defined)}); Jinjava binds it tighter ({@code (not x) is defined}, always true), which dropped
 * DeepSeek's generation prompt and Llama's and Mistral's tools. Within tags, {@code not x is t} becomes
 * {@code x is not t}, {@code not x in y} {@code x not in y}, {@code not x == y} {@code x != y} (and back); string
 * literals are left alone. Part of {@link TemplateSource}'s rewrites.
 */
final class NegatedTests {
    private NegatedTests() {}

    /** A name, attribute path or subscript chain ({@code message['content']}, {@code a.b[0]}). */
    private static final String STRING = "'[^']*'|\"[^\"]*\"";
    private static final String OPERAND = STRING + "|[A-Za-z_]\\w*(?:\\.[A-Za-z_]\\w*|\\[(?:" + STRING + "|\\d+)\\])*"
            + "(?:\\s*\\|\\s*[A-Za-z_]\\w*)*"; // and filters without arguments: not x|length == 1
    /** A string literal (left as it is), or {@code not <operand> <operator>}. */
    private static final java.util.regex.Pattern NOT = java.util.regex.Pattern.compile("(" + STRING + ")"
            + "|(?<![\\w.])not\\s+(" + OPERAND + ")\\s+(is\\s+not|is|not\\s+in|in|==|!=)(?=\\s)");

    /** Jinja2's precedence of {@code not} over tests, {@code in} and comparisons, spelled out within tags. */
    static String rewrite(String s) {
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
}
