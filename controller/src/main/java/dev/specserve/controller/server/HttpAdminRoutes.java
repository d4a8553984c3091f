package dev.specserve.controller.server;

import static dev.specserve.controller.server.HttpReplies.error;
import static dev.specserve.controller.server.HttpReplies.json;

import dev.specserve.controller.config.ServerConfig;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator routes of the HTTP API, each behind {@code Authorization: Bearer <admin_token>} and answering 404
 * when no token is configured: {@code GET /admin/config} (the effective settings, secrets masked), {@code GET
 * /admin/drafter/versions}, {@code POST /admin/drafter/swap|rollback|load} and {@code POST
 * /admin/adaptation/pause|resume}, each an {@link AdminGate} action with a JSON body.
 */
final class HttpAdminRoutes {
    private static final Logger LOG = LoggerFactory.getLogger(HttpAdminRoutes.class);
    /** Admin calls carry a path and a checksum at most. */
    static final long BODY_LIMIT = 4096;

    private final AdminGate gate;
    private final ServerConfig config;

    HttpAdminRoutes(AdminGate gate, ServerConfig config) {
        this.gate = gate;
        this.config = config;
    }

    /** Mounts nothing without an admin token, so every {@code /admin/*} path is the router's 404, whatever the method. */
    void mount(Router router) {
        if (!gate.enabled()) {
            return;
        }
        router.route("/admin/config").method(io.vertx.core.http.HttpMethod.GET).method(io.vertx.core.http.HttpMethod.HEAD).handler(this::config);
        router.route("/admin/drafter/versions").method(io.vertx.core.http.HttpMethod.GET).method(io.vertx.core.http.HttpMethod.HEAD).handler(this::authorise)
                .handler(ctx -> run(ctx, "versions"));
        // the body handler on each action's own route: on /admin/* it made every admin path answer POST, so an
        // unknown one got 405 Allow: POST for a GET (and a known GET one listed POST)
        BodyHandler body = BodyHandler.create(false).setBodyLimit(BODY_LIMIT);
        java.util.Map<String, String> actions = new java.util.LinkedHashMap<>();
        actions.put("/admin/drafter/rollback", "rollback");
        actions.put("/admin/drafter/swap", "swap");
        actions.put("/admin/drafter/load", "load");
        actions.put("/admin/adaptation/pause", "pause");
        actions.put("/admin/adaptation/resume", "resume");
        actions.forEach((path, action) -> router.post(path).handler(body).handler(this::authorise)
                .handler(RequestBodies.decoder(BODY_LIMIT, gate::refused)).handler(ctx -> run(ctx, action)));
    }

    /** Route handler: passes a request with the admin token on (its body is decoded only then). */
    private void authorise(RoutingContext ctx) {
        if (authorised(ctx)) {
            ctx.next();
        }
    }

    private void run(RoutingContext ctx, String action) {
        io.vertx.core.buffer.Buffer sent = RequestBodies.buffer(ctx);
        if (sent != null && sent.length() > 0 && !HttpGuards.isJson(ctx)) {
            error(ctx.response(), gate.refused(HttpGuards.unsupportedMediaType(ctx)));
            return;
        }
        Object body;
        try {
            body = sent == null || sent.length() == 0 ? new JsonObject() : io.vertx.core.json.Json.decodeValue(sent);
        } catch (io.vertx.core.json.DecodeException e) {
            error(ctx.response(), gate.refused(ApiError.invalid("body", "request body is not valid JSON: "
                    + JsonFields.jsonProblem(e))));
            return;
        }
        if (!(body instanceof JsonObject object)) {
            error(ctx.response(), gate.refused(ApiError.invalid("body", "request body must be a JSON object")));
            return;
        }
        gate.run(action, object).onComplete(r -> {
            if (r.succeeded()) {
                json(ctx.response(), 200, r.result());
            } else if (r.cause() instanceof AdminGate.AdminFailure f) {
                error(ctx.response(), gate.refused(f.error));
            } else {
                LOG.warn("admin action {} failed", action, r.cause());
                error(ctx.response(), gate.refused(ApiError.from(r.cause())));
            }
        });
    }

    /** Checks the bearer token; answers 401 on a missing or wrong one. */
    private boolean authorised(RoutingContext ctx) {
        String auth = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
        String presented = AdminGate.bearerToken(auth);
        if (!gate.authorised(presented)) {
            error(ctx.response(), gate.refused(new ApiError(401, "admin routes need Authorization: Bearer <admin_token>",
                    "authentication_error", null)));
            return false;
        }
        return true;
    }

    private void config(RoutingContext ctx) {
        if (!authorised(ctx)) {
            return;
        }
        json(ctx.response(), 200, new JsonObject().put("config", new JsonObject(config.settings())));
    }
}
