package dev.specserve.controller.server;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * The Python {@code str} methods chat templates call on strings ({@code content.startswith('<think>')},
 * {@code .split(...)}, {@code .lstrip('\n')}, ...), which Jinjava, resolving methods on {@link String}, lacks.
 * Only method calls on strings and their subscripts are handled here; everything else falls through to Jinjava's
 * own resolver.
 */
final class PythonStringMethods extends ELResolver {
    private static final Object UNHANDLED = new Object();
    /** A subscript as Jinjava hands it over: the index's text. */
    private static final java.util.regex.Pattern INDEX = java.util.regex.Pattern.compile("-?\\d{1,9}");

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] types, Object[] params) {
        if (!(base instanceof String s) || method == null) {
            return null;
        }
        Object result = call(s, method.toString(), params == null ? new Object[0] : params);
        if (result == UNHANDLED) {
            return null;
        }
        context.setPropertyResolved(true);
        return result;
    }

    static Object call(String s, String method, Object[] args) {
        int n = args.length;
        return switch (method) {
            case "startswith" -> n == 1 ? anyOf(args[0], s::startsWith) : UNHANDLED;
            case "endswith" -> n == 1 ? anyOf(args[0], s::endsWith) : UNHANDLED;
            case "lower" -> n == 0 ? s.toLowerCase(Locale.ROOT) : UNHANDLED;
            case "upper" -> n == 0 ? s.toUpperCase(Locale.ROOT) : UNHANDLED;
            case "strip" -> n <= 1 ? rstrip(lstrip(s, arg(args)), arg(args)) : UNHANDLED;
            case "lstrip" -> n <= 1 ? lstrip(s, arg(args)) : UNHANDLED;
            case "rstrip" -> n <= 1 ? rstrip(s, arg(args)) : UNHANDLED;
            case "split" -> n <= 2 ? split(s, arg(args), n == 2 ? ((Number) args[1]).intValue() : -1) : UNHANDLED;
            case "title" -> n == 0 ? title(s) : UNHANDLED;
            case "capitalize" -> n == 0 && !s.isEmpty()
                    ? s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT) : UNHANDLED;
            case "find" -> n == 1 ? (Object) s.indexOf(String.valueOf(args[0])) : UNHANDLED;
            case "count" -> n == 1 ? (Object) count(s, String.valueOf(args[0])) : UNHANDLED;
            case "join" -> n == 1 && args[0] instanceof Iterable<?> items ? join(s, items) : UNHANDLED;
            default -> UNHANDLED;
        };
    }

    private static String arg(Object[] args) {
        return args.length == 0 || args[0] == null ? null : String.valueOf(args[0]);
    }

    /** Python's {@code startswith(x)} also takes a tuple (a list here) of candidates. */
    private static boolean anyOf(Object arg, java.util.function.Predicate<String> test) {
        if (arg instanceof Iterable<?> items) {
            for (Object o : items) {
                if (test.test(String.valueOf(o))) {
                    return true;
                }
            }
            return false;
        }
        return test.test(String.valueOf(arg));
    }

    /** Strips {@code chars} (whitespace when null) from the start. */
    static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length() && strippable(s.charAt(i), chars)) {
            i++;
        }
        return s.substring(i);
    }

    static String rstrip(String s, String chars) {
        int j = s.length();
        while (j > 0 && strippable(s.charAt(j - 1), chars)) {
            j--;
        }
        return s.substring(0, j);
    }

    private static boolean strippable(char c, String chars) {
        return chars == null ? Character.isWhitespace(c) : chars.indexOf(c) >= 0;
    }

    /** Python's split: on runs of whitespace (dropping empty parts) when {@code sep} is null, else on sep. */
    static List<String> split(String s, String sep, int maxSplit) {
        if (sep == null) {
            List<String> parts = new ArrayList<>(Arrays.asList(s.strip().split("\\s+", maxSplit < 0 ? 0 : maxSplit + 1)));
            parts.removeIf(String::isEmpty);
            return parts;
        }
        if (sep.isEmpty()) {
            throw new IllegalArgumentException("empty separator");
        }
        List<String> parts = new ArrayList<>();
        int from = 0;
        int at;
        while ((maxSplit < 0 || parts.size() < maxSplit) && (at = s.indexOf(sep, from)) >= 0) {
            parts.add(s.substring(from, at));
            from = at + sep.length();
        }
        parts.add(s.substring(from));
        return parts;
    }

    private static String title(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean start = true;
        for (char c : s.toCharArray()) {
            out.append(start ? Character.toUpperCase(c) : Character.toLowerCase(c));
            start = !Character.isLetter(c);
        }
        return out.toString();
    }

    private static int count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.length() + 1;
        }
        int n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
            n++;
        }
        return n;
    }

    private static String join(String sep, Iterable<?> items) {
        List<String> parts = new ArrayList<>();
        items.forEach(o -> parts.add(String.valueOf(o)));
        return String.join(sep, parts);
    }

    // ---- properties: a string's subscript ({@code s[0]}, {@code s[-1]}); everything else falls through ----

    /** {@code s[i]}: the character at i (from the end when negative); out of range, undefined (renders empty). */
    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        // Jinjava hands the subscript over as text ("0"), a name's as its name ("upper")
        if (!(base instanceof String s) || property == null || !INDEX.matcher(property.toString()).matches()) {
            return null;
        }
        context.setPropertyResolved(true);
        long i = Long.parseLong(property.toString());
        long at = i < 0 ? s.length() + i : i;
        return at >= 0 && at < s.length() ? String.valueOf(s.charAt((int) at)) : null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {}

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
