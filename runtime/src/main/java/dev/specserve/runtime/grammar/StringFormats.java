package dev.specserve.runtime.grammar;

import java.util.Map;

/** The JSON-schema string formats served, each as the regular expression its values are written in. */
final class StringFormats {
    private StringFormats() {}

    /** Years divisible by 4, but by 100 only when by 400 (the Gregorian leap years, which have a 29 February; 0000 too). */
    private static final String LEAP_YEAR = "([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[048]|[2468][048]|[13579][26])00)";
    /** A calendar date: each month's own number of days. */
    private static final String DATE = "([0-9]{4}-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)"
            + "|02-(0[1-9]|1[0-9]|2[0-8]))|" + LEAP_YEAR + "-02-29)";
    /** An email's local part: dot-separated atoms (no leading, trailing or double dot), at most 64 characters. */
    private static final String LOCAL_PART = "[A-Za-z0-9_%+-]{1,30}(\\.[A-Za-z0-9_%+-]{1,16}){0,2}";
    private static final String TIME = "([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?"
            + "(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])";
    /**
     * A host name's label, of at most 40 characters (RFC 1035 allows 63): generated names need not be that long,
     * and shorter labels keep the common length limits (hostname 253, email 254) above what the format can write,
     * so a schema's maxLength rarely needs an automaton product.
     */
    private static final String LABEL = "[A-Za-z0-9]([A-Za-z0-9-]{0,38}[A-Za-z0-9])?";
    private static final String OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";
    /** The string formats served, as the regular expressions their values are written in (RFC 3339, 4122, ...). */
    static final Map<String, String> REGEX = Map.of(
            "date", DATE,
            "time", TIME,
            "date-time", DATE + "T" + TIME,
            "uuid", "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            "email", LOCAL_PART + "@" + LABEL + "(\\." + LABEL + "){0,3}\\.[A-Za-z]{2,24}",
            "hostname", LABEL + "(\\." + LABEL + "){0,4}",
            "ipv4", "(" + OCTET + "\\.){3}" + OCTET,
            "uri", "https?://" + LABEL + "(\\." + LABEL + "){0,4}(/[A-Za-z0-9._~%!$&'()*+,;=:@-]{0,32}){0,8}");

    /** A format's automaton (minimal), its size, and the shortest and longest values it writes. */
    record Format(dk.brics.automaton.Automaton automaton, int states, int shortest, int longest) {}

    private static final Map<String, Format> FORMATS = new java.util.concurrent.ConcurrentHashMap<>();

    /** The format's automaton and sizes, compiled once. */
    static Format format(String name) {
        return FORMATS.computeIfAbsent(name, n -> {
            dk.brics.automaton.Automaton a = RegexAutomata.compile(REGEX.get(n));
            a.minimize();
            return new Format(a, a.getNumberOfStates(), a.getShortestExample(true).length(), longest(a));
        });
    }

    /** The longest string a finite automaton accepts (every format is finite). */
    private static int longest(dk.brics.automaton.Automaton a) {
        Map<dk.brics.automaton.State, Integer> memo = new java.util.HashMap<>();
        return longestFrom(a.getInitialState(), memo);
    }

    private static int longestFrom(dk.brics.automaton.State s, Map<dk.brics.automaton.State, Integer> memo) {
        Integer known = memo.get(s);
        if (known != null) {
            return known;
        }
        int best = s.isAccept() ? 0 : Integer.MIN_VALUE;
        for (dk.brics.automaton.Transition t : s.getTransitions()) {
            int rest = longestFrom(t.getDest(), memo);
            if (rest != Integer.MIN_VALUE) {
                best = Math.max(best, rest + 1);
            }
        }
        memo.put(s, best);
        return best;
    }
}
