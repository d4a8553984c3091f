package dev.specserve.controller.adapt;

/** What an adaptation loop has done: updates trained (and their seconds), versions swapped in, rollbacks. */
final class ActivityCounts {
    private int updates;
    private int swaps;
    private int rollbacks;
    private double updateSeconds;

    synchronized void updated(double seconds) {
        updates++;
        updateSeconds += seconds;
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
