package dev.specserve.controller.adapt;

import dev.specserve.telemetry.RoundEvent;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rounds stamped further ahead of this clock than {@link #MAX_CLOCK_SKEW_MS} (a replica whose clock jumped): left
 * out and counted, since one would move event time hours forward for good, emptying every reward window.
 */
final class FutureRounds {
    private static final Logger LOG = LoggerFactory.getLogger(FutureRounds.class);
    static final long MAX_CLOCK_SKEW_MS = 60_000;

    private final AtomicLong count = new AtomicLong();

    /** True (and counted; the first one logged) when {@code e} is stamped too far ahead to use. */
    boolean tooFarAhead(RoundEvent e) {
        long ahead = e.timestampMs() - System.currentTimeMillis();
        if (ahead <= MAX_CLOCK_SKEW_MS) {
            return false;
        }
        if (count.getAndIncrement() == 0) {
            LOG.warn("a round of replica {} is stamped {} ms ahead of this clock; such rounds are left out and "
                    + "counted (specserve_adaptation_future_rounds_total)", e.replicaId(), ahead);
        }
        return true;
    }

    long count() {
        return count.get();
    }
}
