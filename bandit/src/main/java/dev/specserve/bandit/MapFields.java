package dev.specserve.bandit;

import java.math.BigInteger;
import java.util.Map;

/**
 * Typed reads from the maps that decisions and configs are logged as. After a JSON round trip a number may
 * come back as Integer, Long, BigInteger or Double, so integers are accepted in any of those forms as long as
 * the value is exactly integral. Errors name the map and the key.
 */
final class MapFields {
    private final String what;

    MapFields(String what) {
        this.what = what;
    }

    double number(Map<String, ?> m, String key) {
        if (m.get(key) == null) {
            throw new IllegalArgumentException(what + ": '" + key + "' is " + (m.containsKey(key) ? "null" : "missing"));
        }
        return numberOr(m, key, Double.NaN);
    }

    /** A numeric entry, or {@code ifNull} for null or a missing key. */
    double numberOr(Map<String, ?> m, String key, double ifNull) {
        Object v = m.get(key);
        if (v == null) {
            return ifNull;
        }
        if (!(v instanceof Number n)) {
            throw new IllegalArgumentException(what + ": '" + key + "' is not a number: " + v);
        }
        return n.doubleValue();
    }

    int intValue(Map<String, ?> m, String key) {
        long v = integral(m, key);
        if (v != (int) v) {
            throw new IllegalArgumentException(what + ": '" + key + "' is out of int range: " + v);
        }
        return (int) v;
    }

    long integral(Map<String, ?> m, String key) {
        Object v = m.get(key);
        if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        if (v instanceof BigInteger big && big.bitLength() < 64) {
            return big.longValue();
        }
        if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
                && Math.abs(n.doubleValue()) < 0x1p53) {
            return (long) n.doubleValue();
        }
        throw new IllegalArgumentException(what + ": '" + key + "' is not an integer: "
                + (m.containsKey(key) ? v : "missing"));
    }
}
