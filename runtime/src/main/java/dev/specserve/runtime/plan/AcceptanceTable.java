package dev.specserve.runtime.plan;

/**
 * Beta-style counts of "accepted given the parent was accepted", per feature cell, with exponential
 * forgetting so the estimates follow a drifting drafter or workload. Not thread-safe.
 */
final class AcceptanceTable {
    private final double[] accepted;
    private final double[] seen;
    private final double decay;

    AcceptanceTable(int cells, double decay) {
        this.accepted = new double[cells];
        this.seen = new double[cells];
        this.decay = decay;
    }

    void update(int cell, boolean ok) {
        accepted[cell] = accepted[cell] * decay + (ok ? 1 : 0);
        seen[cell] = seen[cell] * decay + 1;
    }

    /** Posterior mean with {@code strength} pseudo-observations at {@code prior}. */
    double estimate(int cell, double prior, double strength) {
        return (accepted[cell] + strength * prior) / (seen[cell] + strength);
    }

    double seen(int cell) {
        return seen[cell];
    }

    /** Keeps {@code keep} of the evidence in every cell (a drafter swap makes old evidence stale). */
    void fade(double keep) {
        for (int i = 0; i < seen.length; i++) {
            accepted[i] *= keep;
            seen[i] *= keep;
        }
    }

    int cells() {
        return seen.length;
    }
}
