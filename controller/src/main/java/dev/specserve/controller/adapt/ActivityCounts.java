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

    /** An update ran (trained), whether or not its candidate was swapped in. */
    synchronized void updated(double seconds) {
        updates++;
        updateSeconds += seconds;
    }

    /**
     * Seconds since the drafter last changed (an update, an operator's swap or a version from the fleet made
     * current); +∞ before the first (the bandit reads it as never updated). An update refused by the shadow check
     * changed nothing, so it does not count.
     */
    synchronized double secondsSinceLastUpdate() {
        return swaps == 0 ? Double.POSITIVE_INFINITY : Math.max(0, (System.nanoTime() - lastUpdateNanos) / 1e9);
    }

    synchronized void swapped() {
        swaps++;
        lastUpdateNanos = System.nanoTime();
    }

    synchronized void rolledBack() {
        rollbacks++;
    }

    synchronized AdaptationController.Activity snapshot() {
        return new AdaptationController.Activity(updates, swaps, rollbacks, updateSeconds);
    }
}
