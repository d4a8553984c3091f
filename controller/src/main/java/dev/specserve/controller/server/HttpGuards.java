package dev.specserve.controller.server;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.CorsHandler;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Request checks in front of the HTTP routes.
 *
 * <ul>
 *   <li>JSON POST routes need {@code Content-Type: application/json} (parameters such as {@code charset} allowed),
 *       else 415. Besides telling clients early that the body will be read as JSON, this keeps a web page from
 *       posting a completion cross-site with a CORS "simple request" ({@code text/plain} or a form), which a
 *       browser sends without asking the server first.</li>
 *   <li>CORS: no CORS headers at all unless {@code cors_origins} names origins; then exactly those get them
 *       (GET and POST, request headers Content-Type and Authorization, no credentials).</li>
 *   <li>Host: only the names in {@code allowed_hosts} are answered, else 403, so a web page whose own domain was
 *       rebound to this address (DNS rebinding) cannot use the API as same-origin. A loopback bind answers only
 *       loopback names unless configured; any other bind answers any name unless configured.</li>
 *   <li>API keys: with {@code api_key} set, {@code /v1/*} needs {@code Authorization: Bearer <one of them>}, else
 *       401 ({@code invalid_api_key}); keys are compared in constant time.</li>
 * </ul>
 * Both refusals are counted in {@code specserve_http_refused_total{reason="host"|"api_key"}}.
 */
final class HttpGuards {
    /** Host names a loopback bind answers by default. */
    static final List<String> LOOPBACK_NAMES = List.of("localhost", "127.0.0.1", "::1");

    private HttpGuards() {}

    /**
     * The Host names to answer ({@code *}: any), from {@code allowed_hosts} or, unset, from the bind address:
     * a loopback one gets the loopback names, any other any name.
     */
    static Set<String> allowedHosts(List<String> configured, String httpHost) {
        if (!configured.isEmpty()) {
            return configured.stream().map(HttpGuards::withoutPort).map(HttpGuards::bare)
                    .collect(java.util.stream.Collectors.toUnmodifiableSet());
        }
        return isLoopback(httpHost) ? Set.copyOf(LOOPBACK_NAMES) : Set.of("*");
    }

    /** Whether a bind address is loopback: {@code localhost} or a loopback literal (names are not looked up). */
    static boolean isLoopback(String host) {
        String h = bare(host);
        if (h.equals("localhost")) {
            return true;
        }
        if (!h.matches("[0-9.]+") && !h.contains(":")) {
            return false; // a name: which addresses it stands for is the resolver's business, not assumed here
        }
        try { // a literal is parsed, not looked up
            return java.net.InetAddress.getByName(h).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    /** {@code name:port} as {@code name} (any port is answered); an IPv6 literal keeps its colons. */
    private static String withoutPort(String entry) {
        String e = entry.strip();
        if (e.startsWith("[")) {
            int close = e.indexOf(']');
            return close < 0 ? e : e.substring(0, close + 1);
        }
        int colon = e.indexOf(':');
        return colon >= 0 && colon == e.lastIndexOf(':') ? e.substring(0, colon) : e;
    }

    /** A host name lower-cased, without IPv6 brackets. */
    private static String bare(String host) {
        String h = host.strip().toLowerCase(Locale.ROOT);
        return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
    }

    /**
     * Paths answered whatever the Host: liveness, readiness and metrics, which orchestrators and scrapers reach by
     * address (Prometheus's DNS discovery sends the container's IP); all three are open by design and read-only.
     */
    static final Set<String> PROBES = Set.of("/health", "/ready", "/metrics");

    /**
     * Route handler: passes requests whose Host is allowed (or absent, as HTTP/1.0 allows) on, and the probes;
     * answers 403 else.
     */
    static io.vertx.core.Handler<RoutingContext> hostCheck(Set<String> allowed, Runnable refused) {
        if (allowed.contains("*")) {
            return RoutingContext::next;
        }
        return ctx -> {
            var authority = ctx.request().authority();
            if (authority == null || allowed.contains(bare(authority.host())) || PROBES.contains(ctx.request().path())) {
                ctx.next();
                return;
            }
            refused.run();
            // the names that are served stay unsaid: they are internal names a stranger has no use for
            refuse(ctx, new ApiError(403, "Host '" + authority.host() + "' is not served here; an operator serves it "
                    + "by adding it to allowed_hosts", "permission_error", null), null);
        };
    }

    /** Route handler for {@code /v1/*}: passes requests bearing one of {@code keys} on, answers 401 else. */
    static io.vertx.core.Handler<RoutingContext> apiKey(List<String> keys, Runnable refused) {
        ApiKeys accepted = new ApiKeys(keys);
        return ctx -> {
            String authorization = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
            if (accepted.accept(authorization)) {
                ctx.next();
                return;
            }
            refused.run();
            refuse(ctx, new ApiError(401, AdminGate.bearerToken(authorization) == null
                    ? "this server needs an API key: send Authorization: Bearer <key>"
                    : "incorrect API key provided", ApiError.INVALID_REQUEST, null), "invalid_api_key");
        };
    }

    private static void refuse(RoutingContext ctx, ApiError e, String code) {
        HttpReplies.error(ctx.response(), e, code);
    }

    /**
     * Route handler: passes JSON requests on, answers 415 to anything else, or to a body in a content coding the
     * server does not undo ({@link RequestBodies#refusal}), and tells {@code refused}.
     */
    static void requireJson(RoutingContext ctx, java.util.function.Consumer<ApiError> refused) {
        ApiError coding = RequestBodies.refusal(ctx.request().getHeader(HttpHeaders.CONTENT_ENCODING));
        if (isJson(ctx) && coding == null) {
            ctx.next();
        } else {
            ApiError e = coding == null ? unsupportedMediaType(ctx) : coding;
            refused.accept(e);
            ctx.response().setStatusCode(e.status()).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                    .putHeader(HttpHeaders.CONNECTION, "close").end(e.toBody().encode());
        }
    }

    /** True when the media type (before any {@code ;} parameters) is {@code application/json}, in any case. */
    static boolean isJson(RoutingContext ctx) {
        String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
        if (type == null) {
            return false;
        }
        int semi = type.indexOf(';');
        return (semi < 0 ? type : type.substring(0, semi)).strip().toLowerCase(Locale.ROOT).equals("application/json");
    }

    static ApiError unsupportedMediaType(RoutingContext ctx) {
        String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
        return new ApiError(415, "request body must be JSON sent with Content-Type: application/json; got "
                + (type == null ? "no Content-Type" : "'" + type + "'"), ApiError.INVALID_REQUEST, null);
    }

    /** A CORS handler for exactly {@code origins}. */
    static CorsHandler cors(List<String> origins) {
        return CorsHandler.create().addOrigins(origins)
                .allowedMethods(Set.of(HttpMethod.GET, HttpMethod.POST))
                .allowedHeaders(Set.of("Content-Type", "Authorization", AccessLog.HEADER))
                .exposedHeaders(Set.of(AccessLog.HEADER)); // a page may read the id it reports
    }
}
