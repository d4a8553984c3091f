package dev.specserve.controller.adapt;

import dev.specserve.bandit.CapacityMeter;
import dev.specserve.bandit.CostAwareBandit;
import dev.specserve.bandit.Reward;
import dev.specserve.bandit.RewardWindows;
import dev.specserve.telemetry.RoundEvent;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The round events' capacity in event time and the bandit's reward windows over it, shared by the decision
 * thread, the training executor and the feedback consumer (one lock).
 */
final class EventTimeRewards {
    private static final Logger LOG = LoggerFactory.getLogger(AdaptationController.class);

    private final CapacityMeter meter;
    private final RewardWindows windows;
    /** The watermark as last seen, and when (this process's monotonic clock) it last moved. */
    private long seenWatermark = Long.MIN_VALUE;
    private long movedNanos = System.nanoTime();

    EventTimeRewards(double horizonSeconds, long epochMs, long windowMs) {
        this.meter = new CapacityMeter((long) (3 * horizonSeconds * 1000) + windowMs);
        this.windows = new RewardWindows(meter, horizonSeconds, epochMs, 1000, 8);
    }

    void onRound(RoundEvent e) {
        meter.add(e.timestampMs(), e.acceptedLength() + 1, e.draftNanos() + e.verifyNanos());
        long w = meter.watermarkMs();
        synchronized (this) {
            if (w != seenWatermark) {
                seenWatermark = w;
                movedNanos = System.nanoTime();
            }
        }
    }

    /**
     * Event time now, as well as this process can tell: the watermark plus how long ago it last moved, on this
     * process's monotonic clock. Windows close by it while no rounds come, whatever this process's wall clock says
     * (it may be hours from the replicas').
     */
    private long eventNowMs() {
        return seenWatermark == Long.MIN_VALUE ? Long.MIN_VALUE
                : seenWatermark + (System.nanoTime() - movedNanos) / 1_000_000;
    }

    long watermarkMs() {
        return meter.watermarkMs();
    }

    /** Tokens per busy second over the last {@code windowMs} of event time (NaN without rounds). */
    double capacity(long windowMs) {
        long w = meter.watermarkMs();
        return meter.over(w - windowMs, w + 1).capacity();
    }

    synchronized boolean settling() {
        return windows.settling();
    }

    synchronized void decided(String id, boolean update, long atMs) {
        windows.decided(id, update, atMs);
    }

    synchronized void trained(String id, long endMs, double seconds, boolean swapped, double swapSeconds) {
        windows.trained(id, endMs, seconds, swapped, swapSeconds);
    }

    /**
     * Hands the bandit every reward whose window has closed and whose rounds have arrived, and has it abandon the
     * decisions whose windows closed unmeasured (too few rounds: an idle server), which would otherwise wait forever.
     */
    void realiseReady(CostAwareBandit bandit) {
        List<Reward> ready;
        List<String> unmeasured;
        synchronized (this) {
            ready = windows.ready(eventNowMs());
            unmeasured = windows.takeUnmeasured();
        }
        unmeasured.forEach(bandit::abandon);
        for (Reward r : ready) {
            try {
                bandit.realise(r);
            } catch (IllegalArgumentException e) {
                LOG.debug("reward of {} not taken: {}", r.decisionId(), e.getMessage());
            }
        }
    }

    synchronized int open() {
        return windows.openCount();
    }

    synchronized long unmeasured() {
        return windows.unmeasured();
    }
}
