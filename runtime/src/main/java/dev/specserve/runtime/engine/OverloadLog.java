package dev.specserve.runtime.engine;

import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One log line per minute at most while requests are refused for a full queue: overload shows in the log as well as
 * in the metrics, without a line per refusal (thousands a minute under a burst). The refusals after a burst's last
 * line are logged when the queue next takes a request, a minute after that line at the earliest, or when the engine
 * stops.
 */
final class OverloadLog {
    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);
    static final long EVERY_NANOS = 60_000_000_000L;

    private final LongSupplier clock;
    private long refused;
    private long since;
    private long lastLogged;
    private boolean logged;

    OverloadLog(LongSupplier clock) {
        this.clock = clock;
    }

    /** The queue took a request: logs the refusals not logged yet when the last line is a minute old. */
    synchronized boolean accepted(int running, int waiting, int queueCapacity) {
        long now = clock.getAsLong();
        if (refused == 0 || now - lastLogged < EVERY_NANOS) {
            return false;
        }
        LOG.warn("overloaded: refused {} more request(s) with 429 in the last {} s; the queue takes requests again "
                + "({} running, {} of {} queued)", refused, Math.max(1, (now - since) / 1_000_000_000L), running,
                waiting, queueCapacity);
        lastLogged = now;
        refused = 0;
        return true;
    }

    /** The engine stops: logs the refusals not logged yet, whenever the last line was. Returns whether it logged. */
    synchronized boolean close() {
        if (refused == 0) {
            return false;
        }
        LOG.warn("overloaded: refused {} more request(s) with 429 in the last {} s before stopping", refused,
                Math.max(1, (clock.getAsLong() - since) / 1_000_000_000L));
        refused = 0;
        return true;
    }

    /** A refusal; logs the refusals so far when the last line is a minute old. Returns whether it logged. */
    synchronized boolean refused(int running, int waiting, int queueCapacity) {
        long now = clock.getAsLong();
        if (refused == 0) {
            since = now;
        }
        refused++;
        if (logged && now - lastLogged < EVERY_NANOS) {
            return false;
        }
        LOG.warn("overloaded: refused {} request(s) with 429 in the last {} s, the queue full ({} running, {} of {} "
                + "queued); specserve_requests_rejected_total{reason=\"queue_full\"} counts them", refused,
                Math.max(1, (now - since) / 1_000_000_000L), running, waiting, queueCapacity);
        logged = true;
        lastLogged = now;
        refused = 0;
        return true;
    }
}
