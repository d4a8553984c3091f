package dev.specserve.runtime.grammar;

import static dev.specserve.runtime.grammar.JsonAutomata.MAX_DIGITS;
import static dev.specserve.runtime.grammar.JsonAutomata.digits;
import static dev.specserve.runtime.grammar.JsonAutomata.literal;
import static dev.specserve.runtime.grammar.JsonAutomata.range;
import static dev.specserve.runtime.grammar.JsonAutomata.union;

import com.fasterxml.jackson.databind.JsonNode;
import dk.brics.automaton.Automaton;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;

/**
 * JSON Schema's numbers and integers with their {@code minimum}/{@code maximum}/{@code exclusive*} bounds, as
 * automata of their decimal text: bounds are read exactly and hold up to {@value JsonAutomata#MAX_DIGITS} digits.
 */
final class NumericSchemas {
    /** The largest bound of a number or integer: {@value JsonAutomata#MAX_DIGITS} digits, as an unbounded one has. */
    static final long LIMIT = 9_999_999_999_999_999L;
    private static final long[] POW10 = new long[MAX_DIGITS + 1];

    static {
        POW10[0] = 1;
        for (int i = 1; i <= MAX_DIGITS; i++) {
            POW10[i] = POW10[i - 1] * 10;
        }
    }

    /** Integers in [min, max] (both within ±{@link #LIMIT}), without leading zeros. */
    static Automaton integers(long min, long max) {
        List<Automaton> parts = new ArrayList<>();
        if (max >= 0) {
            parts.add(natural(Math.max(0, min), max));
        }
        if (min < 0) {
            parts.add(literal("-").concatenate(natural(Math.max(1, -max), -min)));
        }
        return union(parts);
    }

    /** Decimal numerals of the integers in [min, max] (0 <= min <= max <= {@link #LIMIT}), without leading zeros. */
    private static Automaton natural(long min, long max) {
        List<Automaton> parts = new ArrayList<>();
        for (int d = Long.toString(min).length(); d <= Long.toString(max).length(); d++) {
            long lo = Math.max(min, d == 1 ? 0 : POW10[d - 1]);
            long hi = Math.min(max, POW10[d] - 1);
            if (lo <= hi) {
                parts.add(sameLength(Long.toString(lo), Long.toString(hi)));
            }
        }
        return minimal(union(parts));
    }

    /** {@code a} minimized: unions of digit chains left as they are determinize into exponentially many states. */
    private static Automaton minimal(Automaton a) {
        a.minimize();
        return a;
    }

    /** Digit strings as long as {@code a} and {@code b} that lie between them (a <= b). */
    private static Automaton sameLength(String a, String b) {
        if (a.matches("0*") && b.matches("9*")) { // every digit string of this length (keeps this linear)
            return digits(a.length(), a.length());
        }
        char x = a.charAt(0);
        char y = b.charAt(0);
        String restA = a.substring(1);
        String restB = b.substring(1);
        if (x == y) {
            return literal(String.valueOf(x)).concatenate(sameLength(restA, restB));
        }
        int n = restA.length();
        List<Automaton> parts = new ArrayList<>();
        parts.add(literal(String.valueOf(x)).concatenate(sameLength(restA, "9".repeat(n))));
        if (y - x > 1) {
            parts.add(range((char) (x + 1), (char) (y - 1)).concatenate(digits(n, n)));
        }
        parts.add(literal(String.valueOf(y)).concatenate(sameLength("0".repeat(n), restB)));
        return minimal(union(parts));
    }

    /**
     * Decimal numbers (no exponent) from {@code lo} to {@code hi}, whole-number bounds within ±{@link #LIMIT},
     * each inclusive or not. A number reads as its sign, its integer part k and its fraction: k.f lies strictly
     * between k and k + 1 unless the fraction is all zeros, which decides the bounds' edge cases.
     */
    static Automaton numbers(long lo, boolean loOpen, long hi, boolean hiOpen) {
        List<Automaton> parts = new ArrayList<>();
        if (hi > 0 || (hi == 0 && !hiOpen)) { // x >= 0
            parts.add(unsigned(Math.max(lo, 0), lo >= 0 && loOpen, hi, hiOpen));
        }
        if (lo < 0) { // x < 0, written -(k.f): k.f from max(-hi, 0) to -lo
            long from = Math.max(-hi, 0);
            parts.add(literal("-").concatenate(unsigned(from, hi <= 0 && hiOpen, -lo, loOpen)));
        }
        return union(parts);
    }

    /** Non-negative decimals k or k.f between {@code lo} and {@code hi} (0 <= lo <= hi). */
    private static Automaton unsigned(long lo, boolean loOpen, long hi, boolean hiOpen) {
        Automaton any = literal(".").concatenate(digits(1, MAX_DIGITS)).optional();
        Automaton zeros = literal(".").concatenate(literal("0").repeat(1, MAX_DIGITS)).optional();
        Automaton nonzero = literal(".").concatenate(digits(1, MAX_DIGITS)).minus(zeros);
        List<Automaton> parts = new ArrayList<>();
        long first = loOpen ? lo + 1 : lo;
        if (first <= hi - 1) { // whole parts strictly inside: any fraction
            parts.add(natural(first, hi - 1).concatenate(any));
        }
        if (loOpen && lo < hi) { // just above an open lower bound
            parts.add(natural(lo, lo).concatenate(nonzero));
        }
        if (!hiOpen && hi >= lo && !(loOpen && hi == lo)) { // the upper bound itself
            parts.add(natural(hi, hi).concatenate(zeros));
        }
        return union(parts);
    }

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
        long lo = -LIMIT;
        boolean loOpen = false;
        if (b.min() != null) {
            lo = lower(b.min(), "minimum", at);
        }
        // the larger lower bound; open at a tie
        if (b.xmin() != null && (b.min() == null || b.xmin().compareTo(b.min()) >= 0)) {
            lo = lower(b.xmin(), "exclusiveMinimum", at);
            loOpen = b.xmin().compareTo(BigDecimal.valueOf(-LIMIT)) >= 0;
        }
        long hi = LIMIT;
        boolean hiOpen = false;
        if (b.max() != null) {
            hi = upper(b.max(), "maximum", at);
        }
        if (b.xmax() != null && (b.max() == null || b.xmax().compareTo(b.max()) <= 0)) {
            hi = upper(b.xmax(), "exclusiveMaximum", at);
            hiOpen = b.xmax().compareTo(BigDecimal.valueOf(LIMIT)) <= 0;
        }
        Automaton a = lo > hi ? null : numbers(lo, loOpen, hi, hiOpen);
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
        long lo = -LIMIT;
        long hi = LIMIT;
        if (b.min() != null) {
            lo = Math.max(lo, lower(b.min().setScale(0, RoundingMode.CEILING), "minimum", at));
        }
        if (b.xmin() != null) {
            lo = Math.max(lo, lower(b.xmin().setScale(0, RoundingMode.FLOOR).add(BigDecimal.ONE), "exclusiveMinimum",
                    at));
        }
        if (b.max() != null) {
            hi = Math.min(hi, upper(b.max().setScale(0, RoundingMode.FLOOR), "maximum", at));
        }
        if (b.xmax() != null) {
            hi = Math.min(hi, upper(b.xmax().setScale(0, RoundingMode.CEILING).subtract(BigDecimal.ONE),
                    "exclusiveMaximum", at));
        }
        if (lo > hi) {
            throw new GrammarException("no integer lies within the bounds at " + at);
        }
        return integers(lo, hi);
    }

    /** A lower bound as a long: below -LIMIT it is raised to it (fewer values, all valid); above LIMIT, refused. */
    private static long lower(BigDecimal v, String key, String at) {
        if (v.compareTo(BigDecimal.valueOf(LIMIT)) > 0) {
            throw new GrammarException(key + " " + v.toPlainString() + " has more than " + JsonAutomata.MAX_DIGITS
                    + " digits, the most a bounded number may have here, at " + at);
        }
        return Math.max(-LIMIT, v.max(BigDecimal.valueOf(-LIMIT)).longValue());
    }

    /** An upper bound as a long: above LIMIT it is lowered to it; below -LIMIT, refused. */
    private static long upper(BigDecimal v, String key, String at) {
        if (v.compareTo(BigDecimal.valueOf(-LIMIT)) < 0) {
            throw new GrammarException(key + " " + v.toPlainString() + " has more than " + JsonAutomata.MAX_DIGITS
                    + " digits, the most a bounded number may have here, at " + at);
        }
        return Math.min(LIMIT, v.min(BigDecimal.valueOf(LIMIT)).longValue());
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
        if ((v.isDouble() || v.isFloat()) && !Double.isFinite(v.doubleValue())) { // a schema object's 1e400
            return BigDecimal.ONE.scaleByPowerOfTen(400).multiply(BigDecimal.valueOf(Math.signum(v.doubleValue())));
        }
        return v.decimalValue();
    }
}
