package dev.specserve.controller.adapt;

/**
 * What an adaptation loop has done: updates trained (and their seconds, and when the last one ran), versions
 * swapped in, rollbacks.
 */
final class ActivityCounts {
    private int updates;
    private int swaps;
    private int rollbacks;
    private double updateSeconds;
    private long lastUpdateNanos;

    synchronized void updated(double seconds) {
        updates++;
        updateSeconds += seconds;
        lastUpdateNanos = System.nanoTime();
    }

    /** Seconds since the last update ran; +∞ before the first (the bandit reads it as never updated). */
    synchronized double secondsSinceLastUpdate() {
        return updates == 0 ? Double.POSITIVE_INFINITY : Math.max(0, (System.nanoTime() - lastUpdateNanos) / 1e9);
    }

    synchronized void swapped() {
        swaps++;
    }

    synchronized void rolledBack() {
        rollbacks++;
    }

    synchronized AdaptationController.Activity snapshot() {
        return new AdaptationController.Activity(updates, swaps, rollbacks, updateSeconds);
    }
}
