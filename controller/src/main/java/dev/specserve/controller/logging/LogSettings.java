package dev.specserve.controller.logging;

import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The two logging settings read from the environment before the first logger exists: {@code SPECSERVE_LOG_LEVEL}
 * (the root level) and {@code SPECSERVE_LOG_FORMAT} ({@code text}, or {@code json}: one JSON object per line).
 * Checked here because logback reads a level it does not know as DEBUG, silently; handed to {@code logback.xml}
 * as the system properties {@value #LEVEL_PROPERTY} and {@value #FORMAT_PROPERTY}.
 */
public final class LogSettings {
    public static final String LEVEL_ENV = "SPECSERVE_LOG_LEVEL";
    public static final String FORMAT_ENV = "SPECSERVE_LOG_FORMAT";
    static final String LEVEL_PROPERTY = "specserve.log.level";
    static final String FORMAT_PROPERTY = "specserve.log.format";
    private static final Set<String> LEVELS = Set.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF");
    private static final Set<String> FORMATS = Set.of("text", "json");

    private LogSettings() {
    }

    /**
     * Sets the system properties from {@code env}; a value that is not a level or a format is an
     * {@link IllegalArgumentException} naming the variable and what it may be.
     */
    public static void apply(Map<String, String> env) {
        String level = chosen(LEVEL_PROPERTY, env.get(LEVEL_ENV));
        if (level != null) {
            System.setProperty(LEVEL_PROPERTY, level(level));
        }
        String format = chosen(FORMAT_PROPERTY, env.get(FORMAT_ENV));
        if (format != null) {
            String f = format.trim().toLowerCase(Locale.ROOT);
            if (!FORMATS.contains(f)) { // logback would find no appender, and the process would log nothing at all
                throw new IllegalArgumentException("environment variable " + FORMAT_ENV + " (or -D" + FORMAT_PROPERTY
                        + ") is '" + format + "'; it must be text or json");
            }
            System.setProperty(FORMAT_PROPERTY, f);
        }
    }

    /** A -D system property given on the command line wins over the environment, as elsewhere in Java. */
    private static String chosen(String property, String env) {
        String p = System.getProperty(property);
        String v = p != null && !p.isBlank() ? p : env;
        return v == null || v.isBlank() ? null : v;
    }

    /** Whether log lines are JSON ({@link #apply} has run, or -D{@value #FORMAT_PROPERTY}=json was given). */
    public static boolean json() {
        return "json".equalsIgnoreCase(System.getProperty(FORMAT_PROPERTY, "").trim());
    }

    /** {@link #apply}, or exits 2 with the problem on standard error (no logger exists yet to say it). */
    public static void applyOrExit(Map<String, String> env) {
        try {
            apply(env);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
        }
    }

    /** {@code value} as logback's level name ({@code warning} is WARN, as Python spells it). */
    static String level(String value) {
        String v = value.trim().toUpperCase(Locale.ROOT);
        if (v.equals("WARNING")) {
            return "WARN";
        }
        if (!LEVELS.contains(v)) {
            throw new IllegalArgumentException("environment variable " + LEVEL_ENV + " (or -D" + LEVEL_PROPERTY + ") is '" + value
                    + "'; it must be one of TRACE, DEBUG, INFO, WARN (or WARNING), ERROR, OFF");
        }
        return v;
    }
}
