package dev.specserve.controller.server;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code for}-loop forms of Jinja2 that Jinjava reads differently, rewritten before compiling
 * ({@link TemplateSource}): loop filters and a loop's {@code else} branch.
 */
final class LoopRewrites {
    private LoopRewrites() {}

    /** {@code for <target> in <iterable> if <condition>} inside a block tag, with its whitespace markers. */
    private static final Pattern FOR = Pattern.compile(
            "([-+]?)\\s*for\\s+(.+?)\\s+in\\s+(.+?)\\s*(-?)", Pattern.DOTALL);

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
            Matcher m = FOR.matcher(s.substring(open + 2, close));
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
        return TemplateSource.scan(s, 0, (i, c, depth) -> depth == 0 && c == 'i' && s.startsWith("if", i) && i > 0
                && Character.isWhitespace(s.charAt(i - 1)) && i + 2 < s.length() && Character.isWhitespace(s.charAt(i + 2)));
    }

    /** A block tag's name and its whitespace markers: {@code {%- else -%}}. */
    private static final Pattern TAG = Pattern.compile("\\{%([-+]?)\\s*(\\w+)[^%]*?(-?)%\\}");

    /**
     * {@code {% for x in y %}B{% else %}E{% endfor %}} to {@code {% set f = namespace(ran=false) %}{% for x in y
     * %}{% set f.ran = true %}B{% endfor %}{% if not f.ran %}E{% endif %}}: Jinjava parses the {@code else} of a
     * loop but never renders it. An {@code else} belongs to the innermost open {@code for} or {@code if}.
     */
    static String forElse(String s) {
        record Open(boolean loop, int start, int end, String left, String right) {}
        record Edit(int start, int end, String text) {}
        Deque<Open> open = new ArrayDeque<>();
        java.util.List<Edit> edits = new java.util.ArrayList<>();
        java.util.Map<Open, Integer> elses = new java.util.HashMap<>();
        int n = 0;
        Matcher m = TAG.matcher(s);
        while (m.find()) {
            switch (m.group(2)) {
                case "for" -> open.push(new Open(true, m.start(), m.end(), m.group(1), m.group(3)));
                case "if" -> open.push(new Open(false, m.start(), m.end(), m.group(1), m.group(3)));
                case "endif" -> {
                    if (!open.isEmpty()) {
                        open.pop();
                    }
                }
                case "else" -> {
                    if (!open.isEmpty() && open.peek().loop()) {
                        elses.put(open.peek(), edits.size());
                        edits.add(new Edit(m.start(), m.end(), m.group(1) + "|" + m.group(3)));
                    }
                }
                case "endfor" -> {
                    Open loop = open.isEmpty() ? null : open.pop();
                    Integer at = loop == null ? null : elses.remove(loop);
                    if (at != null) {
                        String f = "specserve_for_else_" + n++;
                        String[] markers = edits.get(at).text().split("\\|", -1);
                        String forTag = s.substring(loop.start(), loop.end());
                        edits.add(new Edit(loop.start(), loop.end(), "{%" + loop.left() + " set " + f
                                + " = namespace(ran=false) %}" + "{%" + forTag.substring(2 + loop.left().length(),
                                forTag.length() - 2 - loop.right().length()) + "%}{% set " + f + ".ran = true "
                                + loop.right() + "%}"));
                        edits.set(at, new Edit(edits.get(at).start(), edits.get(at).end(), "{%" + markers[0]
                                + " endfor %}{% if not " + f + ".ran " + markers[1] + "%}"));
                        edits.add(new Edit(m.start(), m.end(), "{%" + m.group(1) + " endif " + m.group(3) + "%}"));
                    }
                }
                default -> { }
            }
        }
        edits.removeIf(e -> e.text().contains("|") && !e.text().startsWith("{%"));
        edits.sort(java.util.Comparator.comparingInt(Edit::start));
        StringBuilder out = new StringBuilder(s.length());
        int from = 0;
        for (Edit e : edits) {
            out.append(s, from, e.start()).append(e.text());
            from = e.end();
        }
        return out.append(s.substring(from)).toString();
    }
}
