package dev.specserve.controller.server;

import static dev.specserve.controller.server.HttpReplies.error;
import static dev.specserve.controller.server.HttpReplies.json;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/** {@code GET} and {@code DELETE /v1/responses/{id}}: the Responses API's stored responses ({@link ResponseStore}). */
final class HttpResponseStoreRoutes {
    private final ResponseStore store;

    HttpResponseStoreRoutes(ResponseStore store) {
        this.store = store;
    }

    void mount(Router router) {
        router.route("/v1/responses/:id").method(io.vertx.core.http.HttpMethod.GET).method(io.vertx.core.http.HttpMethod.HEAD).handler(this::read);
        router.delete("/v1/responses/:id").handler(this::delete);
    }

    /** A stored response, as {@code POST} answered it, or 404 naming {@code response_id}. */
    private void read(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        store.get(id).ifPresentOrElse(s -> json(ctx.response(), 200, s.response()),
                () -> error(ctx.response(), notStored(id)));
    }

    /** Forgets a stored response, answering as OpenAI's delete does. */
    private void delete(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        if (store.remove(id)) {
            json(ctx.response(), 200, new JsonObject().put("id", id).put("object", "response").put("deleted", true));
        } else {
            error(ctx.response(), notStored(id));
        }
    }

    private static ApiError notStored(String id) {
        return new ApiError(404, "no stored response has id '" + id + "'", ApiError.INVALID_REQUEST, "response_id");
    }
}
