package dev.specserve.controller.server;

import dev.specserve.runtime.engine.GenerationObserver;
import dev.specserve.runtime.engine.RequestStats;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.TokenLogprob;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writing HTTP answers: JSON bodies, errors, and a generation as one JSON answer ({@link JsonObserver}) or as
 * server-sent events ({@link SseObserver}) in the {@link ResponseShape} of the API that was called.
 */
final class HttpReplies {
    private static final Logger LOG = LoggerFactory.getLogger(HttpReplies.class);

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
            } else if (e.status() == 429) {
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

    /** The observer that answers {@code resp} for a request with {@code stream} set or not. */
    static Observer observer(HttpServerResponse resp, ResponseShape shape, ResponseShape.Head head,
                             CompletionRequest req) {
        return req.stream() ? new SseObserver(resp, shape, head, req.includeUsage())
                : new JsonObserver(resp, shape, head);
    }

    /** A generation's observer that can also be told the request was admitted. */
    interface Observer extends GenerationObserver {
        /** The engine queued the request (a stream writes its head now). */
        default void admitted() {}
    }

    /** Answers once with the whole completion. */
    private record JsonObserver(HttpServerResponse resp, ResponseShape shape, ResponseShape.Head head)
            implements Observer {
        @Override
        public void onTokens(int[] tokens, String textDelta) {}

        @Override
        public void onComplete(GenerationResult result, RequestStats stats) {
            if (open(resp)) {
                json(resp, 200, shape.completion(head, result, stats));
            }
        }

        @Override
        public void onError(Throwable error) {
            LOG.warn("request {} failed in the engine", head.id(), error);
            if (open(resp)) {
                error(resp, ApiError.from(error));
            }
        }
    }

    /**
     * Writes the head on admission; then the opening chunk with the first text (so a client timing its first
     * chunk times the first token, not the queue), each text delta as an event, the last chunk, with
     * {@code include_usage} a usage chunk with no choices (OpenAI's), and {@code [DONE]}.
     */
    private static final class SseObserver implements Observer {
        private final HttpServerResponse resp;
        private final ResponseShape shape;
        private final ResponseShape.Head head;
        private final boolean includeUsage;
        private boolean opened;
        private int textOffset;

        SseObserver(HttpServerResponse resp, ResponseShape shape, ResponseShape.Head head, boolean includeUsage) {
            this.resp = resp;
            this.shape = shape;
            this.head = head;
            this.includeUsage = includeUsage;
        }

        @Override
        public void admitted() {
            writeHead();
        }

        @Override
        public void onTokens(int[] tokens, String textDelta) {
            onTokens(tokens, textDelta, List.of());
        }

        @Override
        public void onTokens(int[] tokens, String textDelta, List<TokenLogprob> lps) {
            if ((!textDelta.isEmpty() || !lps.isEmpty()) && open(resp)) {
                event(shape.delta(head, textDelta, lps, textOffset).encode());
                textOffset += CompletionJson.textLength(lps);
            }
        }

        @Override
        public void onComplete(GenerationResult result, RequestStats stats) {
            if (open(resp)) {
                JsonObject last = shape.last(head, result, stats);
                if (includeUsage) {
                    last.remove("usage");
                    event(last.encode());
                    event(shape.usage(head, result).encode());
                } else {
                    event(last.encode());
                }
                event("[DONE]");
                resp.end();
            }
        }

        @Override
        public void onError(Throwable error) {
            LOG.warn("streaming request {} failed in the engine", head.id(), error);
            if (open(resp)) {
                event(ApiError.from(error).toBody().encode());
                event("[DONE]");
                resp.end();
            }
        }

        /** Writes the event-stream head once (on admission, or before the first event). */
        private void writeHead() {
            if (resp.headWritten() || !open(resp)) {
                return;
            }
            resp.setChunked(true)
                    .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                    .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
                    .putHeader("X-Accel-Buffering", "no")
                    .putHeader("X-Request-Id", head.id());
            resp.writeHead();
        }

        private void event(String data) {
            writeHead();
            if (!opened) {
                opened = true;
                JsonObject opening = shape.opening(head);
                if (opening != null) {
                    write(opening.encode());
                }
            }
            write(data);
        }

        private void write(String data) {
            resp.write("data: " + data + "\n\n");
        }
    }
}
