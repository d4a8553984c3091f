package dev.specserve.controller.adapt;

import dev.specserve.telemetry.RoundEvent;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Round events the loop cannot use, left out and counted. Rounds stamped further ahead of this clock than
 * {@link #MAX_CLOCK_SKEW_MS} (a replica whose clock jumped): one would move event time hours forward for good,
 * emptying every reward window. Rounds that report no draft or verify time: no real round takes none, and one
 * would price capacity at tokens per zero seconds (a NaN that loses the decision).
 */
final class RoundChecks {
    private static final Logger LOG = LoggerFactory.getLogger(RoundChecks.class);
    static final long MAX_CLOCK_SKEW_MS = 60_000;

    private final AtomicLong future = new AtomicLong();
    private final AtomicLong idle = new AtomicLong();

    /** False (and counted; the first of each kind logged) when {@code e} cannot be used. */
    boolean usable(RoundEvent e) {
        // against the clock this process stamps its own rounds with: never behind them after a step back
        long ahead = e.timestampMs() - dev.specserve.controller.feedback.EventClock.SYSTEM.millis();
        if (ahead > MAX_CLOCK_SKEW_MS) {
            if (future.getAndIncrement() == 0) {
                LOG.warn("a round of replica {} is stamped {} ms ahead of this clock; such rounds are left out and "
                        + "counted (specserve_adaptation_future_rounds_total)", e.replicaId(), ahead);
            }
            return false;
        }
        if (e.draftNanos() + e.verifyNanos() <= 0) {
            if (idle.getAndIncrement() == 0) {
                LOG.warn("a round of replica {} reports no draft or verify time; such rounds are left out and "
                        + "counted (specserve_adaptation_idle_rounds_total)", e.replicaId());
            }
            return false;
        }
        return true;
    }

    long future() {
        return future.get();
    }

    long idle() {
        return idle.get();
    }
}
