package dev.specserve.controller.server;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The one way into {@link AdminActions}, shared by the HTTP and event-bus APIs: checks the admin token,
 * dispatches an action by name with a JSON body, and runs it on a worker thread (loading a drafter file or
 * reopening a session takes a while; the event loop keeps serving meanwhile). Failures are {@link ApiError}s.
 * {@code load} is confined by {@link ModelRoots}: a path inside model_roots and its sha256 are both required, and
 * every refusal looks the same.
 */
final class AdminGate {
    static final String ACTIONS = "versions, swap, rollback, load, pause, resume";

    /** Rendered by Prometheus as {@code specserve_admin_requests_rejected_total{status}}. */
    static final String REJECTED = "specserve.admin.requests.rejected";

    private final Vertx vertx;
    private final String token;
    private final ModelRoots modelRoots;
    private final io.micrometer.core.instrument.MeterRegistry registry;
    private volatile AdminActions actions;

    AdminGate(Vertx vertx, String token, ModelRoots modelRoots, io.micrometer.core.instrument.MeterRegistry registry) {
        this.vertx = vertx;
        this.token = token;
        this.modelRoots = modelRoots;
        this.registry = registry;
    }

    /** Counts an admin request refused (over HTTP or the event bus) by its status: a wrong token is a 401. */
    ApiError refused(ApiError e) {
        io.micrometer.core.instrument.Counter.builder(REJECTED)
                .description("Admin requests refused (bad token, body, version or path), by HTTP status")
                .tag("status", Integer.toString(e.status())).register(registry).increment();
        return e;
    }

    /**
     * The credentials of an {@code Authorization: Bearer <token>} header, or null for any other header. The scheme
     * name is case-insensitive (RFC 7235 section 2.1), so {@code bearer} and {@code BEARER} work too.
     */
    static String bearerToken(String authorization) {
        if (authorization == null) {
            return null;
        }
        String h = authorization.strip();
        int sp = h.indexOf(' ');
        if (sp < 0 || !h.substring(0, sp).equalsIgnoreCase("Bearer")) {
            return null;
        }
        String credentials = h.substring(sp + 1).strip();
        return credentials.isEmpty() ? null : credentials;
    }

    void setActions(AdminActions actions) {
        this.actions = actions;
    }

    /** Admin is off when no token is configured: its routes and address then do not exist. */
    boolean enabled() {
        return token != null;
    }

    boolean authorised(String presented) {
        return token != null && presented != null
                && MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8));
    }

    Future<JsonObject> run(String action, JsonObject body) {
        AdminActions a = actions;
        if (a == null) {
            return Future.failedFuture(new AdminFailure(new ApiError(503, "drafter administration is not available yet",
                    "unavailable", null)));
        }
        JsonObject args = body == null ? new JsonObject() : body;
        return vertx.executeBlocking(() -> {
            try {
                return dispatch(a, modelRoots, action, args);
            } catch (dev.specserve.runtime.spec.InvalidRequestException e) {
                throw new AdminFailure(ApiError.invalid(e.field(), e.getMessage()));
            } catch (IllegalArgumentException | ClassCastException e) {
                throw new AdminFailure(ApiError.invalid(action, e.getMessage()));
            }
        }, true);
    }

    private static JsonObject dispatch(AdminActions a, ModelRoots roots, String action, JsonObject args) {
        return switch (action == null ? "" : action) {
            case "versions" -> new JsonObject().put("versions", new JsonArray(a.versions()));
            case "swap" -> new JsonObject(a.swap(requiredLong(args, "version")));
            case "rollback" -> {
                noFields(args, "rollback", "to serve a given version, swap {\"version\": N}");
                yield new JsonObject(a.rollback());
            }
            case "load" -> new JsonObject(a.load(roots.resolve(args.getValue("path"), args.getValue("sha256")).toString(),
                    args.getString("sha256").trim(), optionalBoolean(args, "activate", true)));
            case "pause" -> new JsonObject(a.pause());
            case "resume" -> new JsonObject(a.resume());
            default -> throw new dev.specserve.runtime.spec.InvalidRequestException("action", action == null
                    ? "\"action\" must be a string, one of " + ACTIONS
                    : "unknown admin action '" + action + "'; known: " + ACTIONS);
        };
    }

    /** Refuses fields an action does not take (they would be silently ignored); {@code action} is the bus's own. */
    private static void noFields(JsonObject args, String action, String hint) {
        for (String f : args.fieldNames()) {
            if (!f.equals("action")) {
                throw new dev.specserve.runtime.spec.InvalidRequestException(f, action + " takes no \"" + f + "\" (no "
                        + "fields at all); " + hint);
            }
        }
    }

    private static boolean optionalBoolean(JsonObject args, String field, boolean absent) {
        Object v = args.getValue(field);
        if (v != null && !(v instanceof Boolean)) {
            throw new dev.specserve.runtime.spec.InvalidRequestException(field, field + " must be true or false, got " + v);
        }
        return v == null ? absent : (Boolean) v;
    }

    private static long requiredLong(JsonObject args, String field) {
        Object v = args.getValue(field);
        if (!(v instanceof Integer || v instanceof Long)) {
            throw new dev.specserve.runtime.spec.InvalidRequestException(field, "body must be {\"" + field
                    + "\": <integer id>}, got " + (v instanceof String text ? "the string \"" + text + "\"" : v));
        }
        return ((Number) v).longValue();
    }

    /** An admin request refused with a status and an OpenAI-style error body. */
    static final class AdminFailure extends RuntimeException {
        final ApiError error;

        AdminFailure(ApiError error) {
            super(error.message(), null, false, false);
            this.error = error;
        }
    }
}
