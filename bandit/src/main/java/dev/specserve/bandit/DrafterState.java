package dev.specserve.bandit;

/** What the bandit keeps about one drafter: its learned model, epoch counter, load forecast and exploration budget. */
final class DrafterState {
    BayesianLinearModel model;
    long epoch;
    private double forecast = Double.NaN;
    final ExplorationBudget exploration;

    DrafterState(BayesianLinearModel model, ExplorationBudget exploration) {
        this.exploration = exploration;
        this.model = model;
    }

    /**
     * Folds this epoch's observed rounds/s into the EWMA forecast (weight {@code weight}) and returns the horizon
     * rate to plan with: the caller's own forecast when it gave one, else this EWMA.
     */
    double horizonRate(DecisionContext ctx, double weight) {
        forecast = Double.isNaN(forecast)
                ? ctx.roundsPerSecond()
                : (1 - weight) * forecast + weight * ctx.roundsPerSecond();
        return Double.isNaN(ctx.horizonRoundsPerSecond()) ? forecast : ctx.horizonRoundsPerSecond();
    }

    /** Forgets what was learned (a fresh model, no forecast); the epoch counter and exploration budget carry on. */
    void reset(BayesianLinearModel fresh) {
        model = fresh;
        forecast = Double.NaN;
    }
}
