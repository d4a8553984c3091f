package dev.specserve.runtime.grammar;

import java.util.Map;

/** The JSON-schema string formats served, each as the regular expression its values are written in. */
final class StringFormats {
    private StringFormats() {}

    private static final String DATE = "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])";
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
            "email", "[A-Za-z0-9._%+-]{1,64}@" + LABEL + "(\\." + LABEL + "){0,3}\\.[A-Za-z]{2,24}",
            "hostname", LABEL + "(\\." + LABEL + "){0,4}",
            "ipv4", "(" + OCTET + "\\.){3}" + OCTET,
            "uri", "https?://" + LABEL + "(\\." + LABEL + "){0,4}(/[A-Za-z0-9._~%!$&'()*+,;=:@-]{0,64}){0,8}");
}
