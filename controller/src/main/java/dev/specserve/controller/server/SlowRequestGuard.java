package dev.specserve.controller.server;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes HTTP connections that send a request too slowly: the idle timeout restarts at every byte, so a client
 * sending a header byte every few seconds (slowloris) would otherwise hold a connection for as long as it likes,
 * before any Host or API-key check could refuse it. A connection gets {@code deadlineNanos} from its opening, or
 * from the end of its last response, to finish sending its next request's headers, and each request gets as long
 * from its headers to the end of its body; a request in progress after its body (a generation streaming for
 * minutes) is never cut. A connection this guard closes before its first request or amid a body is counted by
 * {@code onClosed}; one idle after a response is a keep-alive timeout, closed without a word. One the client
 * closes itself is not counted: it holds nothing once closed.
 */
final class SlowRequestGuard {
    private static final Logger LOG = LoggerFactory.getLogger(SlowRequestGuard.class);

    /** What one connection is doing: its requests in progress, and since when it waits for the next bytes. */
    private static final class State {
        int inFlight;
        int served;
        long since = System.nanoTime();
        HttpServerRequest reading; // a request whose body has not all arrived, or null
    }

    private final long deadlineNanos;
    private final Runnable onClosed;
    private final Map<HttpConnection, State> connections = new ConcurrentHashMap<>();
    private long lastLogged;

    SlowRequestGuard(long deadlineNanos, Runnable onClosed) {
        this.deadlineNanos = deadlineNanos;
        this.onClosed = onClosed;
    }

    /** Watches {@code connection} from its opening until it closes. */
    void opened(HttpConnection connection) {
        connections.put(connection, new State());
        connection.closeHandler(v -> connections.remove(connection));
    }

    /** Route handler, first on every route: a request's headers have arrived. */
    void requestStarted(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        State s = connections.get(request.connection());
        if (s != null) {
            synchronized (s) {
                s.inFlight++;
                s.since = System.nanoTime();
                s.reading = request.isEnded() ? null : request;
            }
            ctx.addEndHandler(v -> {
                synchronized (s) {
                    s.inFlight--;
                    s.served++;
                    s.since = System.nanoTime();
                    if (s.reading == request) {
                        s.reading = null;
                    }
                }
            });
        }
        ctx.next();
    }

    /** Checks every connection once a second until {@code vertx} closes. */
    void start(Vertx vertx) {
        vertx.setPeriodic(1000, id -> sweep());
    }

    void sweep() {
        long now = System.nanoTime();
        connections.forEach((connection, s) -> {
            boolean slow;
            boolean keptAlive; // between requests: a keep-alive timeout, not a slow request
            synchronized (s) {
                if (s.reading != null && s.reading.isEnded()) {
                    s.reading = null;
                }
                // waiting for headers (nothing in flight) or for the rest of a body
                slow = (s.inFlight == 0 || s.reading != null) && now - s.since > deadlineNanos;
                keptAlive = s.inFlight == 0 && s.served > 0;
            }
            if (slow && keptAlive) {
                connections.remove(connection);
                connection.close();
            } else if (slow) {
                connections.remove(connection);
                onClosed.run();
                if (now - lastLogged > 60_000_000_000L) {
                    lastLogged = now;
                    LOG.info("closing HTTP connection from {}: no whole request within {} s (counted in "
                            + "specserve_http_refused_total as slow_request; logged once a minute)",
                            connection.remoteAddress(), deadlineNanos / 1_000_000_000L);
                }
                connection.close();
            }
        });
    }
}
