package dev.specserve.controller.adapt;

/**
 * The acceptance level the bandit compares the present with: the better of the level right after the last update
 * and a high-water mark that decays toward the present over the bandit's horizon. After a drift, an update that
 * wins back only part of the loss leaves headroom for the next one, and a loss that no update recovers stops
 * counting after a few horizons (the learned residual also learns that such updates do not pay).
 */
final class TauReference {
    private final double horizonSeconds;
    private volatile double afterLastUpdate = Double.NaN;
    private double highWater = Double.NaN;
    private long lastNanos;

    TauReference(double horizonSeconds) {
        this.horizonSeconds = horizonSeconds;
    }

    /** Takes τ at event time {@code nowNanos} (into the high-water mark only if {@code measured}); the reference. */
    synchronized double observe(long nowNanos, double tau, boolean measured) {
        if (measured) {
            double sinceLast = Double.isNaN(highWater) ? 0 : (nowNanos - lastNanos) / 1e9;
            double decay = Math.min(1.0, Math.max(0, sinceLast) / horizonSeconds);
            highWater = Double.isNaN(highWater) || tau > highWater ? tau : highWater - (highWater - tau) * decay;
        }
        lastNanos = nowNanos;
        double after = afterLastUpdate;
        return Math.max(Double.isNaN(after) ? tau : after, Double.isNaN(highWater) ? tau : highWater);
    }

    /** The level measured once an update has served a window (NaN: not measured yet). */
    void afterUpdate(double tau) {
        afterLastUpdate = tau;
    }
}
