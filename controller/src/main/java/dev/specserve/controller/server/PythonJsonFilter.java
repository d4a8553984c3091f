package dev.specserve.controller.server;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.AdvancedFilter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code tojson} as Hugging Face defines it for chat templates: Python's {@code json.dumps(x, ensure_ascii=False,
 * indent=indent)}, so {@code {"a": 1, "b": [1, 2]}} with Python's separators (Jinjava's own filter writes
 * {@code {"a":1}}), and with {@code indent=N} one item per line.
 */
final class PythonJsonFilter implements AdvancedFilter {
    @Override
    public String getName() {
        return "tojson";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
        Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : args.length > 0 ? args[0] : null;
        StringBuilder out = new StringBuilder();
        write(out, var, indent instanceof Number n ? " ".repeat(n.intValue()) : null, 0);
        return out.toString();
    }

    static String dumps(Object value) {
        StringBuilder out = new StringBuilder();
        write(out, value, null, 0);
        return out.toString();
    }

    private static void write(StringBuilder out, Object v, String indent, int depth) {
        if (v == null) {
            out.append("null");
        } else if (v instanceof Boolean || v instanceof Integer || v instanceof Long || v instanceof Short) {
            out.append(v);
        } else if (v instanceof Number n) {
            double d = n.doubleValue();
            out.append(Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity")
                    : pythonRepr(d));
        } else if (v instanceof Map<?, ?> m) {
            List<String> keys = new ArrayList<>();
            List<Object> values = new ArrayList<>();
            m.forEach((k, x) -> {
                keys.add(String.valueOf(k));
                values.add(x);
            });
            container(out, '{', '}', keys.size(), indent, depth, i -> {
                string(out, keys.get(i));
                out.append(": ");
                write(out, values.get(i), indent, depth + 1);
            });
        } else if (v instanceof Iterable<?> items) {
            List<Object> list = new ArrayList<>();
            items.forEach(list::add);
            container(out, '[', ']', list.size(), indent, depth, i -> write(out, list.get(i), indent, depth + 1));
        } else if (v instanceof Object[] array) {
            write(out, List.of(array), indent, depth);
        } else {
            string(out, v.toString());
        }
    }

    private static void container(StringBuilder out, char open, char close, int n, String indent, int depth,
                                  java.util.function.IntConsumer item) {
        out.append(open);
        if (n == 0) {
            out.append(close);
            return;
        }
        for (int i = 0; i < n; i++) {
            if (indent == null) {
                out.append(i == 0 ? "" : ", ");
            } else {
                out.append(i == 0 ? "" : ",").append('\n').append(indent.repeat(depth + 1));
            }
            item.accept(i);
        }
        if (indent != null) {
            out.append('\n').append(indent.repeat(depth));
        }
        out.append(close);
    }

    private static void string(StringBuilder out, String s) {
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
                    if (c < 0x20) {
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
