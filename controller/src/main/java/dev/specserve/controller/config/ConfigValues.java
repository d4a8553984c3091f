package dev.specserve.controller.config;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/** The chosen value of every setting, typed and checked on reading: each error names the key and its source. */
record ConfigValues(Map<ConfigKey, ConfigValues.Source> chosen) {
    private static final java.util.regex.Pattern HOST = java.util.regex.Pattern.compile(
            "(\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9.])?|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*)(:[0-9]{1,5})?");

    static ConfigException bad(ConfigKey k, String value, String where) {
        return new ConfigException(k.key(), "setting '" + k.key() + "' (from " + where + ") must be "
                + k.type().expectation() + ", got '" + shown(k, value) + "'");
    }

    /** A value as an error may print it: a key or token never is (errors reach logs), even a wrongly typed one. */
    static String shown(ConfigKey k, String value) {
        return k == ConfigKey.API_KEY || k == ConfigKey.ADMIN_TOKEN ? "***" : value;
    }

    /** A setting's value as given, and where it came from (the default, a variable, a flag, the file). */
    record Source(String value, String where) {}

    String string(ConfigKey k) {
        Source s = chosen.get(k);
        if (s == null) {
            return null;
        }
        String v = s.value().trim();
        if (v.isEmpty()) {
            throw bad(k, s.value(), s.where());
        }
        if (!k.type().choices().isEmpty()) {
            v = v.toLowerCase(Locale.ROOT);
            if (!k.type().choices().contains(v)) {
                throw bad(k, s.value(), s.where());
            }
        }
        return v;
    }

    /** A file or directory setting, or null when unset. */
    Path path(ConfigKey k) {
        String v = string(k);
        return v == null ? null : Path.of(v);
    }

    /** A comma-separated setting as its trimmed, non-empty items (empty when unset). */
    java.util.List<String> list(ConfigKey k) {
        String v = string(k);
        if (v == null) {
            return java.util.List.of();
        }
        java.util.List<String> items = java.util.Arrays.stream(v.split(",")).map(String::trim)
                .filter(x -> !x.isEmpty()).toList();
        if (items.isEmpty()) {
            Source s = chosen.get(k);
            throw bad(k, s.value(), s.where());
        }
        return items;
    }

    /** A strategy name the models can be asked for (whether these models have a drafter is checked at load). */
    String strategy(ConfigKey k) {
        String v = string(k);
        if (!dev.specserve.drafters.Strategies.NAMES.contains(v)) {
            Source s = chosen.get(k);
            throw new ConfigException(k.key(), "setting '" + k.key() + "' (from " + s.where() + ") must be one of "
                    + String.join(", ", dev.specserve.drafters.Strategies.NAMES) + ", got '" + s.value() + "'");
        }
        return v;
    }

    /**
     * Browser origins, each as the HTTP API's CORS handler will take it: checked here, with the settings, so a bad
     * one is named with its source before the models load, not reported as the HTTP API failing to start.
     */
    java.util.List<String> origins(ConfigKey k) {
        java.util.List<String> origins = list(k);
        for (String o : origins) {
            try {
                io.vertx.ext.web.handler.CorsHandler.create().addOrigin(o);
            } catch (IllegalArgumentException | IllegalStateException e) { // Vert.x 5 throws the latter
                Source s = chosen.get(k);
                throw new ConfigException(k.key(), "setting '" + k.key() + "' (from " + s.where() + ") must be "
                        + "origins like https://app.example or http://localhost:3000 (scheme, host, optional port), "
                        + "got '" + o + "'");
            }
        }
        return origins;
    }

    /**
     * Host names (or IP literals, an IPv6 one in brackets), each with an optional port, or {@code *}: anything
     * else (a URL, a space, a wildcard pattern) would silently never match a Host header, so it is refused.
     */
    java.util.List<String> hosts(ConfigKey k) {
        java.util.List<String> hosts = list(k);
        for (String h : hosts) {
            if (!h.equals("*") && !HOST.matcher(h).matches()) {
                Source s = chosen.get(k);
                throw new ConfigException(k.key(), "setting '" + k.key() + "' (from " + s.where() + ") must be "
                        + "host names like api.example or api.example:8000 (an IPv6 address in brackets), or '*' "
                        + "for any; got '" + h + "'");
            }
        }
        return hosts;
    }

    int integer(ConfigKey k) {
        long v = longValue(k);
        if (v > Integer.MAX_VALUE) {
            Source s = chosen.get(k);
            throw bad(k, s.value(), s.where());
        }
        return (int) v;
    }

    int threads(ConfigKey k) {
        Source s = chosen.get(k);
        try {
            return dev.specserve.runtime.ort.IntraOpThreads.resolve(s.value());
        } catch (IllegalArgumentException e) {
            throw bad(k, s.value(), s.where());
        }
    }

    int prefillThreads(ConfigKey k, int threads) {
        Source s = chosen.get(k);
        try {
            return dev.specserve.runtime.ort.IntraOpThreads.prefill(s.value(), threads);
        } catch (IllegalArgumentException e) {
            throw bad(k, s.value(), s.where());
        }
    }

    boolean bool(ConfigKey k) {
        Source s = chosen.get(k);
        return switch (s.value().trim().toLowerCase(java.util.Locale.ROOT)) {
            case "true", "on", "yes", "1" -> true;
            case "false", "off", "no", "0" -> false;
            default -> throw bad(k, s.value(), s.where());
        };
    }

    double fraction(ConfigKey k) {
        Source s = chosen.get(k);
        double v;
        try {
            v = Double.parseDouble(s.value().trim());
        } catch (NumberFormatException e) {
            throw bad(k, s.value(), s.where());
        }
        if (!(v >= 0 && v <= 1)) {
            throw bad(k, s.value(), s.where());
        }
        return v;
    }

    long longValue(ConfigKey k) {
        Source s = chosen.get(k);
        long v;
        try {
            v = Long.parseLong(s.value().trim());
        } catch (NumberFormatException e) {
            throw bad(k, s.value(), s.where());
        }
        boolean ok = switch (k.type()) {
            case PORT -> v >= 0 && v <= 65535;
            case POSITIVE_INT, POSITIVE_LONG -> v >= 1;
            case NON_NEGATIVE_INT, NON_NEGATIVE_LONG -> v >= 0;
            default -> throw new IllegalStateException(k + " is not numeric");
        };
        if (!ok) {
            throw bad(k, s.value(), s.where());
        }
        return v;
    }
}
