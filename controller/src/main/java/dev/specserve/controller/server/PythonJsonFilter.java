package dev.specserve.controller.server;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.AdvancedFilter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code tojson} as Hugging Face defines it for chat templates: Python's {@code json.dumps(x, ensure_ascii=False,
 * indent=indent, separators=separators, sort_keys=sort_keys)}, so {@code {"a": 1, "b": [1, 2]}} with Python's
 * separators (Jinjava's own filter writes {@code {"a":1}}), with {@code indent=N} (or a string) one item per line,
 * and {@code ensure_ascii=true} escaping every character outside printable ASCII, as Python does.
 */
final class PythonJsonFilter implements AdvancedFilter {
    @Override
    public String getName() {
        return "tojson";
    }

    /** json.dumps's layout options: an indent (null: one line), the item and key separators, key order, escaping. */
    private record Style(String indent, String itemSeparator, String keySeparator, boolean sortKeys, boolean ascii) {
        static final Style PYTHON = new Style(null, ", ", ": ", false, false);

        static Style of(Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : args.length > 0 ? args[0] : null;
            String in = indent instanceof Number n ? " ".repeat(Math.max(0, n.intValue()))
                    : indent instanceof String t ? t : null;
            String item = in == null ? ", " : ",";
            String key = ": ";
            if (kwargs.get("separators") instanceof List<?> seps && seps.size() == 2) { // a Python tuple arrives as a list
                item = String.valueOf(seps.get(0));
                key = String.valueOf(seps.get(1));
            }
            return new Style(in, item, key, truthy(kwargs.get("sort_keys")), truthy(kwargs.get("ensure_ascii")));
        }

        private static boolean truthy(Object o) {
            return o instanceof Boolean b ? b : o != null;
        }
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
        StringBuilder out = new StringBuilder();
        write(out, var, Style.of(args, kwargs), 0);
        return out.toString();
    }

    static String dumps(Object value) {
        StringBuilder out = new StringBuilder();
        write(out, value, Style.PYTHON, 0);
        return out.toString();
    }

    private static void write(StringBuilder out, Object v, Style style, int depth) {
        if (v == null) {
            out.append("null");
        } else if (v instanceof Boolean || v instanceof Integer || v instanceof Long || v instanceof Short) {
            out.append(v);
        } else if (v instanceof Number n) {
            double d = n.doubleValue();
            out.append(Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity")
                    : pythonRepr(d));
        } else if (v instanceof Map<?, ?> m) {
            List<Map.Entry<String, Object>> entries = new ArrayList<>();
            m.forEach((k, x) -> entries.add(new java.util.AbstractMap.SimpleEntry<>(String.valueOf(k), x)));
            if (style.sortKeys()) {
                entries.sort(Map.Entry.comparingByKey());
            }
            container(out, '{', '}', entries.size(), style, depth, i -> {
                string(out, entries.get(i).getKey(), style.ascii());
                out.append(style.keySeparator());
                write(out, entries.get(i).getValue(), style, depth + 1);
            });
        } else if (v instanceof Iterable<?> items) {
            List<Object> list = new ArrayList<>();
            items.forEach(list::add);
            container(out, '[', ']', list.size(), style, depth, i -> write(out, list.get(i), style, depth + 1));
        } else if (v instanceof Object[] array) {
            write(out, List.of(array), style, depth);
        } else {
            string(out, v.toString(), style.ascii());
        }
    }

    private static void container(StringBuilder out, char open, char close, int n, Style style, int depth,
                                  java.util.function.IntConsumer item) {
        out.append(open);
        if (n == 0) {
            out.append(close);
            return;
        }
        String indent = style.indent();
        for (int i = 0; i < n; i++) {
            out.append(i == 0 ? "" : style.itemSeparator());
            if (indent != null) {
                out.append('\n').append(indent.repeat(depth + 1));
            }
            item.accept(i);
        }
        if (indent != null) {
            out.append('\n').append(indent.repeat(depth));
        }
        out.append(close);
    }

    private static void string(StringBuilder out, String s, boolean ascii) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || ascii && c > 0x7e) {
                        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /**
     * A float as Python's {@code repr} (and so {@code json.dumps}) writes it: the shortest digits that read back,
     * positional for exponents -4 to 15 ({@code 0.0001}, {@code 10000000.0}), else scientific with a signed
     * two-digit exponent ({@code 1e-07}, {@code 1.5e+16}).
     */
    static String pythonRepr(double d) {
        if (d == 0) {
            return 1 / d < 0 ? "-0.0" : "0.0";
        }
        java.math.BigDecimal b = new java.math.BigDecimal(Double.toString(d)).stripTrailingZeros();
        String digits = b.unscaledValue().abs().toString();
        int exponent = digits.length() - 1 - b.scale(); // of the first digit
        String sign = d < 0 ? "-" : "";
        if (exponent < -4 || exponent >= 16) {
            String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + String.format(Locale.ROOT, "%02d", Math.abs(exponent));
        }
        String plain = b.abs().toPlainString();
        return sign + (plain.contains(".") ? plain : plain + ".0");
    }
}
