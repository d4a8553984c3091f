package dev.specserve.controller.server;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API on the event bus (deployed only when an admin token is configured), request/reply at
 * {@value #ADDRESS}: {@code {"action": "versions|swap|rollback|load|pause|resume", "token": "<admin_token>",
 * ...arguments as in the HTTP bodies}}. Replies with the same JSON as the HTTP routes; refusals fail the
 * message with {@code failureCode} 401 (token), 400 (invalid action or arguments) or 503, and a JSON-encoded
 * {@code {message, type, param, code}}.
 */
public final class EventBusAdminVerticle extends VerticleBase {
    private static final Logger LOG = LoggerFactory.getLogger(EventBusAdminVerticle.class);
    public static final String ADDRESS = "specserve.admin";

    private final AdminGate gate;
    private final boolean clusterWide;

    /**
     * @param clusterWide register {@value #ADDRESS} for the whole cluster; false keeps it local to this replica
     *                    (the default when clustered, so the admin token never crosses the cluster)
     */
    EventBusAdminVerticle(AdminGate gate, boolean clusterWide) {
        this.gate = gate;
        this.clusterWide = clusterWide;
    }

    @Override
    public Future<?> start() {
        MessageConsumer<Object> consumer = clusterWide ? vertx.eventBus().consumer(ADDRESS, this::handle)
                : vertx.eventBus().localConsumer(ADDRESS, this::handle);
        return consumer.completion().onSuccess(v -> LOG.info("event-bus admin API on '{}' (token required{})",
                ADDRESS, vertx.isClustered() ? clusterWide ? ", cluster-wide" : ", this replica only" : ""));
    }

    private void handle(Message<Object> msg) {
        Object decoded;
        try {
            decoded = msg.body(); // a clustered body the JSON codec refuses throws here, on first access
        } catch (io.vertx.core.json.DecodeException e) {
            fail(msg, ApiError.invalid("body", "the message body cannot be decoded as JSON: " + e.getMessage()));
            return;
        }
        if (!(decoded instanceof JsonObject body)) {
            fail(msg, ApiError.invalid("body", "admin messages must be JSON objects {\"action\", \"token\", ...}"));
            return;
        }
        String action = body.getValue("action") instanceof String a ? a : null;
        if (!gate.authorised(body.getValue("token") instanceof String t ? t : null)) {
            fail(msg, new ApiError(401, "admin messages need \"token\": the configured admin_token",
                    "authentication_error", "token"));
            return;
        }
        JsonObject args = body.copy();
        args.remove("token");
        gate.run(action, args).onComplete(r -> {
            if (r.succeeded()) {
                msg.reply(r.result());
            } else if (r.cause() instanceof AdminGate.AdminFailure f) {
                fail(msg, f.error);
            } else {
                LOG.warn("admin action {} failed", action, r.cause());
                fail(msg, ApiError.from(r.cause()));
            }
        });
    }

    private void fail(Message<?> msg, ApiError e) {
        gate.refused(e);
        msg.fail(e.status(), e.toJson().encode());
    }
}
