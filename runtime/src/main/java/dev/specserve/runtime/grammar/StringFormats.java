package dev.specserve.runtime.grammar;

import java.util.Map;

/** The JSON-schema string formats served, each as the regular expression its values are written in. */
final class StringFormats {
    private StringFormats() {}

    /** Years divisible by 4, but by 100 only when by 400 (the Gregorian leap years, which have a 29 February). */
    private static final String LEAP_YEAR = "([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)";
    /** A calendar date: each month's own number of days. */
    private static final String DATE = "([0-9]{4}-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)"
            + "|02-(0[1-9]|1[0-9]|2[0-8]))|" + LEAP_YEAR + "-02-29)";
    /** An email's local part: dot-separated atoms (no leading, trailing or double dot), at most 64 characters. */
    private static final String LOCAL_PART = "[A-Za-z0-9_%+-]{1,30}(\\.[A-Za-z0-9_%+-]{1,16}){0,2}";
    private static final String TIME = "([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?"
            + "(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])";
    private static final String LABEL = "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
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
            "uri", "https?://" + LABEL + "(\\." + LABEL + "){0,4}(/[A-Za-z0-9._~%!$&'()*+,;=:@-]{0,64}){0,8}");
}
