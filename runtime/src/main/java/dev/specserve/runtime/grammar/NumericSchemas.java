package dev.specserve.runtime.grammar;

import com.fasterxml.jackson.databind.JsonNode;
import dk.brics.automaton.Automaton;
import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * JSON Schema's numbers and integers with their {@code minimum}/{@code maximum}/{@code exclusive*} bounds, as
 * automata of their decimal text: bounds are read exactly and hold up to {@value JsonAutomata#MAX_DIGITS} digits.
 */
final class NumericSchemas {
    private NumericSchemas() {}

    /**
     * Numbers within the schema's bounds, which must be whole numbers (Pydantic's {@code ge=0}, {@code le=1}) of at
     * most {@value JsonAutomata#MAX_DIGITS} digits; written without an exponent once bounded.
     */
    static Automaton number(JsonNode s, String at) {
        Bounds b = Bounds.of(s, at);
        if (b.none()) {
            return JsonAutomata.number();
        }
        for (String key : Bounds.KEYS) {
            BigDecimal v = decimal(s, key, at);
            if (v != null && v.stripTrailingZeros().scale() > 0) {
                throw new GrammarException(key + " of a number must be a whole number here, got " + s.get(key)
                        + " at " + at);
            }
        }
        BigDecimal min = b.min();
        BigDecimal xmin = b.xmin();
        BigDecimal max = b.max();
        BigDecimal xmax = b.xmax();
        long lo = -JsonAutomata.LIMIT;
        boolean loOpen = false;
        if (min != null) {
            lo = lower(min, "minimum", at);
        }
        if (xmin != null && (min == null || xmin.compareTo(min) >= 0)) { // the larger bound; open at a tie
            lo = lower(xmin, "exclusiveMinimum", at);
            loOpen = xmin.compareTo(BigDecimal.valueOf(-JsonAutomata.LIMIT)) >= 0;
        }
        long hi = JsonAutomata.LIMIT;
        boolean hiOpen = false;
        if (max != null) {
            hi = upper(max, "maximum", at);
        }
        if (xmax != null && (max == null || xmax.compareTo(max) <= 0)) {
            hi = upper(xmax, "exclusiveMaximum", at);
            hiOpen = xmax.compareTo(BigDecimal.valueOf(JsonAutomata.LIMIT)) <= 0;
        }
        Automaton a = lo > hi ? null : JsonAutomata.number(lo, loOpen, hi, hiOpen);
        if (a == null || a.isEmpty()) {
            throw new GrammarException("no number lies within the bounds at " + at);
        }
        return a;
    }

    /** Integers within the schema's bounds, of at most {@value JsonAutomata#MAX_DIGITS} digits. */
    static Automaton integer(JsonNode s, String at) {
        Bounds b = Bounds.of(s, at);
        if (b.none()) {
            return JsonAutomata.integer();
        }
        BigDecimal min = b.min();
        BigDecimal xmin = b.xmin();
        BigDecimal max = b.max();
        BigDecimal xmax = b.xmax();
        long lo = -JsonAutomata.LIMIT;
        long hi = JsonAutomata.LIMIT;
        if (min != null) {
            lo = Math.max(lo, lower(min.setScale(0, RoundingMode.CEILING), "minimum", at));
        }
        if (xmin != null) {
            lo = Math.max(lo, lower(xmin.setScale(0, RoundingMode.FLOOR).add(BigDecimal.ONE), "exclusiveMinimum", at));
        }
        if (max != null) {
            hi = Math.min(hi, upper(max.setScale(0, RoundingMode.FLOOR), "maximum", at));
        }
        if (xmax != null) {
            hi = Math.min(hi, upper(xmax.setScale(0, RoundingMode.CEILING).subtract(BigDecimal.ONE), "exclusiveMaximum",
                    at));
        }
        if (lo > hi) {
            throw new GrammarException("no integer lies within the bounds at " + at);
        }
        return JsonAutomata.integer(lo, hi);
    }

    /** A lower bound as a long: below -LIMIT it is raised to it (fewer values, all valid); above LIMIT, refused. */
    private static long lower(BigDecimal v, String key, String at) {
        if (v.compareTo(BigDecimal.valueOf(JsonAutomata.LIMIT)) > 0) {
            throw new GrammarException(key + " " + v.toPlainString() + " has more than " + JsonAutomata.MAX_DIGITS
                    + " digits, the most a bounded number may have here, at " + at);
        }
        return Math.max(-JsonAutomata.LIMIT, v.max(BigDecimal.valueOf(-JsonAutomata.LIMIT)).longValue());
    }

    /** An upper bound as a long: above LIMIT it is lowered to it; below -LIMIT, refused. */
    private static long upper(BigDecimal v, String key, String at) {
        if (v.compareTo(BigDecimal.valueOf(-JsonAutomata.LIMIT)) < 0) {
            throw new GrammarException(key + " " + v.toPlainString() + " has more than " + JsonAutomata.MAX_DIGITS
                    + " digits, the most a bounded number may have here, at " + at);
        }
        return Math.min(JsonAutomata.LIMIT, v.min(BigDecimal.valueOf(JsonAutomata.LIMIT)).longValue());
    }

    /** A number's or integer's bounds, each exact, or null when absent. */
    private record Bounds(BigDecimal min, BigDecimal xmin, BigDecimal max, BigDecimal xmax) {
        static final String[] KEYS = {"minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"};

        static Bounds of(JsonNode s, String at) {
            return new Bounds(decimal(s, KEYS[0], at), decimal(s, KEYS[1], at), decimal(s, KEYS[2], at),
                    decimal(s, KEYS[3], at));
        }

        boolean none() {
            return min == null && xmin == null && max == null && xmax == null;
        }
    }

    /** A numeric keyword's exact value, or null when absent. */
    private static BigDecimal decimal(JsonNode s, String key, String at) {
        JsonNode v = s.get(key);
        if (v == null) {
            return null;
        }
        if (!v.isNumber()) {
            throw new GrammarException(key + " must be a number at " + at + ", got " + v);
        }
        return v.decimalValue();
    }
}
