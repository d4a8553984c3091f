package dev.specserve.controller.server;

import dev.specserve.runtime.spec.InvalidRequestException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.BigInteger;

/** Typed reads of request JSON fields; a wrong type or range is an {@link InvalidRequestException} naming the field. */
final class JsonFields {
    private JsonFields() {}

    /**
     * {@code v} as plain Java values, nested objects and arrays included ({@link JsonObject#getMap} converts only
     * the top level): what a chat template iterates and what its {@code tojson} writes.
     */
    static Object plain(Object v) {
        if (v instanceof JsonObject o) {
            java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
            o.forEach(e -> m.put(e.getKey(), plain(e.getValue())));
            return java.util.Collections.unmodifiableMap(m);
        }
        if (v instanceof JsonArray a) {
            java.util.List<Object> l = new java.util.ArrayList<>(a.size());
            a.forEach(x -> l.add(plain(x)));
            return java.util.Collections.unmodifiableList(l);
        }
        return v;
    }

    /** {@link #plain} of an object. */
    @SuppressWarnings("unchecked")
    static java.util.Map<String, Object> plainMap(JsonObject o) {
        return (java.util.Map<String, Object>) plain(o);
    }

    static String optionalString(JsonObject json, String field) {
        Object v = json.getValue(field);
        if (v == null) {
            return null;
        }
        if (!(v instanceof String s)) {
            throw new InvalidRequestException(field, field + " must be a string, got " + typeName(v));
        }
        return s;
    }

    /** The field's boolean, or null when it is absent. */
    static Boolean optionalBool(JsonObject json, String field) {
        return json.getValue(field) == null ? null : bool(json, field);
    }

    static boolean bool(JsonObject json, String field) {
        Object v = json.getValue(field);
        if (v == null) {
            return false;
        }
        if (!(v instanceof Boolean b)) {
            throw new InvalidRequestException(field, field + " must be true or false, got " + typeName(v));
        }
        return b;
    }

    static double number(JsonObject json, String field, double dflt) {
        Object v = json.getValue(field);
        if (v == null) {
            return dflt;
        }
        if (!(v instanceof Number n)) {
            throw new InvalidRequestException(field, field + " must be a number, got " + typeName(v));
        }
        return n.doubleValue();
    }

    /** An integral JSON number (16 or 16.0) within [min, max]. */
    static long integer(JsonObject json, String field, long min, long max) {
        Object v = json.getValue(field);
        if (!(v instanceof Number n)) {
            throw new InvalidRequestException(field, field + " must be an integer, got " + typeName(v));
        }
        BigInteger value;
        try {
            value = new BigDecimal(n.toString()).toBigIntegerExact();
        } catch (ArithmeticException | NumberFormatException e) {
            throw new InvalidRequestException(field, field + " must be an integer, got " + n);
        }
        if (value.compareTo(BigInteger.valueOf(min)) < 0 || value.compareTo(BigInteger.valueOf(max)) > 0) {
            String range = min == Long.MIN_VALUE && max == Long.MAX_VALUE ? "a signed 64-bit integer"
                    : max == Long.MAX_VALUE ? ">= " + min : "in [" + min + ", " + max + "]";
            throw new InvalidRequestException(field, field + " must be " + range + ", got " + value);
        }
        return value.longValue();
    }

    static String typeName(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof String s) {
            return "the string \"" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "\"";
        }
        if (v instanceof Boolean) {
            return "a boolean";
        }
        if (v instanceof Number n) {
            return "the number " + n;
        }
        if (v instanceof JsonArray) {
            return "an array";
        }
        if (v instanceof JsonObject) {
            return "an object";
        }
        return v.getClass().getSimpleName();
    }

    /**
     * What is wrong with a body that did not parse, in the parser's words without its internals: Jackson's
     * configuration hints ("enable `JsonReadFeature...` to allow", "from `StreamReadConstraints...`") and source
     * excerpt are dropped, the line and column kept.
     */
    static String jsonProblem(io.vertx.core.json.DecodeException e) {
        String message = e.getCause() instanceof com.fasterxml.jackson.core.JsonProcessingException j
                ? j.getOriginalMessage() : firstLine(e.getMessage()).replaceFirst("^Failed to decode:\\s*", "");
        message = firstLine(message).replaceAll(": enable `[^`]*` to allow", "").replaceAll(", from `[^`]*`", "")
                .replaceAll("\\s*\\((for \\w+ starting|start marker) at \\[Source:.*$", "");
        if (e.getCause() instanceof com.fasterxml.jackson.core.JsonProcessingException j && j.getLocation() != null
                && j.getLocation().getLineNr() > 0) {
            message += " at line " + j.getLocation().getLineNr() + ", column " + j.getLocation().getColumnNr();
        }
        return message;
    }

    static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
