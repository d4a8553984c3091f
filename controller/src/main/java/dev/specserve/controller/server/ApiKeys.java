package dev.specserve.controller.server;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/**
 * The configured {@code api_key}s, matched against an {@code Authorization: Bearer <key>} value in constant time
 * per key (every key is compared, whichever matches), for the HTTP API and the TCP bridge alike.
 */
final class ApiKeys {
    private final List<byte[]> keys;

    ApiKeys(List<String> keys) {
        this.keys = keys.stream().map(k -> k.getBytes(StandardCharsets.UTF_8)).toList();
    }

    /** No keys configured: nothing is asked for. */
    boolean none() {
        return keys.isEmpty();
    }

    /** Whether {@code authorization} (a whole header value, or null) is {@code Bearer} with one of the keys. */
    boolean accept(String authorization) {
        String presented = AdminGate.bearerToken(authorization);
        if (presented == null) {
            return false;
        }
        byte[] p = presented.getBytes(StandardCharsets.UTF_8);
        boolean ok = false;
        for (byte[] k : keys) {
            ok |= MessageDigest.isEqual(p, k); // no early exit: each key takes its time
        }
        return ok;
    }
}
