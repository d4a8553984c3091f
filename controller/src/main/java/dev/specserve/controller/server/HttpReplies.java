package dev.specserve.controller.server;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/** Writing HTTP answers: JSON bodies and errors. A generation's answer is a {@link ChoicesReply}. */
final class HttpReplies {
    private HttpReplies() {}

    static boolean open(HttpServerResponse resp) {
        return !resp.ended() && !resp.closed();
    }

    static void json(HttpServerResponse resp, int status, JsonObject body) {
        resp.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body.encode());
    }

    static void error(HttpServerResponse resp, ApiError e) {
        error(resp, e, null);
    }

    /** {@code e} with OpenAI's string {@code code} (e.g. {@code invalid_api_key}) in place of the status, if given. */
    static void error(HttpServerResponse resp, ApiError e, String code) {
        if (!resp.headWritten()) {
            if (e.status() == 401) {
                resp.putHeader("WWW-Authenticate", "Bearer"); // RFC 9110: a 401 names the scheme it wants
            } else if (e.status() == 429 || e.status() == 503) { // a full queue, a queue timeout, a replica stopping
                resp.putHeader("Retry-After", "1"); // the queue turns over within rounds, not minutes
            }
            JsonObject body = e.toBody();
            if (code != null) {
                body.getJsonObject("error").put("code", code);
            }
            json(resp, e.status(), body);
        } else if (open(resp)) {
            resp.end();
        }
    }
}
