package dev.specserve.telemetry;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Argument checks shared by the event and sample records. */
final class Validation {

    private Validation() {
    }

    static String requireText(String value, String field) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(field + " must be a non-blank string");
        }
        return value;
    }

    static long requireNonNegative(long value, String field) {
        if (value < 0) {
            throw new IllegalArgumentException(field + " must be >= 0, was " + value);
        }
        return value;
    }

    static int requireNonNegative(int value, String field) {
        if (value < 0) {
            throw new IllegalArgumentException(field + " must be >= 0, was " + value);
        }
        return value;
    }

    /** Null stays null; blank strings are rejected (use null for "absent"). */
    static String optionalText(String value, String field) {
        if (value != null && value.isBlank()) {
            throw new IllegalArgumentException(field + " must be null or a non-blank string");
        }
        return value;
    }

    /**
     * Deep-copies a free-form map into an immutable map holding only JSON-compatible values, with
     * integral numbers widened to {@link Long} and {@link Float} widened to {@link Double} so that a
     * JSON round trip reproduces an equal map.
     */
    static Map<String, Object> jsonMap(Map<String, ?> map, String field) {
        if (map == null || map.isEmpty()) {
            return Map.of();
        }
        Map<String, Object> copy = new LinkedHashMap<>();
        for (Map.Entry<String, ?> e : map.entrySet()) {
            if (e.getKey() == null) {
                throw new IllegalArgumentException(field + " has a null key");
            }
            copy.put(e.getKey(), jsonValue(e.getValue(), field + "." + e.getKey()));
        }
        return Collections.unmodifiableMap(copy);
    }

    private static Object jsonValue(Object v, String path) {
        if (v instanceof Double d && !Double.isFinite(d) || v instanceof Float f && !Float.isFinite(f)) {
            throw new IllegalArgumentException(path + " is not finite (JSON has no NaN or Infinity): " + v);
        }
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Long
                || v instanceof Double || v instanceof java.math.BigInteger || v instanceof java.math.BigDecimal) {
            return v;
        }
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        if (v instanceof Float) {
            return ((Float) v).doubleValue();
        }
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> copy = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!(e.getKey() instanceof String key)) {
                    throw new IllegalArgumentException(path + " has a non-string key");
                }
                copy.put(key, jsonValue(e.getValue(), path + "." + key));
            }
            return Collections.unmodifiableMap(copy);
        }
        if (v instanceof List<?> l) {
            List<Object> copy = new ArrayList<>(l.size());
            for (int i = 0; i < l.size(); i++) {
                copy.add(jsonValue(l.get(i), path + "[" + i + "]"));
            }
            return Collections.unmodifiableList(copy);
        }
        throw new IllegalArgumentException(path + " is not a JSON value (String, Number, Boolean, List, Map or null): "
                + v.getClass().getName());
    }
}
