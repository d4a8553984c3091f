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
 * </ul>
 */
final class HttpGuards {
    private HttpGuards() {}

    /** Route handler: passes JSON requests on, answers 415 to anything else. */
    static void requireJson(RoutingContext ctx) {
        if (isJson(ctx)) {
            ctx.next();
        } else {
            ApiError e = unsupportedMediaType(ctx);
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
                .allowedHeaders(Set.of("Content-Type", "Authorization"));
    }
}
