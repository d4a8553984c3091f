package dev.specserve.controller.server;

import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * The {@code headers} of a bridge frame as the Vert.x bridge reads them into delivery options: an object whose
 * {@code timeout} is a whole number of milliseconds (at least 1), whose {@code localOnly} is a boolean and whose
 * other values are strings. The bridge throws on anything else, which would close the connection and everything
 * it has running; a frame with such headers is refused on its own instead. {@code codecName} is refused: a
 * client has no codec of this server's to name.
 */
final class BridgeHeaders {
    private BridgeHeaders() {}

    /** What is wrong with {@code headers}, or null when the bridge can read them. */
    static String problem(Object headers) {
        if (headers == null) {
            return null;
        }
        if (!(headers instanceof JsonObject h)) {
            return "headers must be a JSON object";
        }
        for (Map.Entry<String, Object> e : h) {
            Object v = e.getValue();
            String problem = switch (e.getKey()) {
                case "timeout" -> v instanceof Number n && n.doubleValue() >= 1 && n.doubleValue() == Math.rint(n.doubleValue())
                        && n.doubleValue() <= Long.MAX_VALUE ? null
                        : "headers.timeout must be a whole number of milliseconds >= 1, got " + shown(v);
                case "localOnly" -> v instanceof Boolean ? null : "headers.localOnly must be true or false, got "
                        + shown(v);
                case "codecName" -> "headers.codecName is not accepted: messages use the default JSON codec";
                default -> v instanceof String ? null : "headers." + e.getKey() + " must be a string, got " + shown(v);
            };
            if (problem != null) {
                return problem;
            }
        }
        return null;
    }

    /** A header's value as the client wrote it in JSON: a string in quotes, so "5000" does not read as 5000. */
    private static String shown(Object v) {
        return v instanceof String str ? io.vertx.core.json.Json.encode(str) : String.valueOf(v);
    }
}
