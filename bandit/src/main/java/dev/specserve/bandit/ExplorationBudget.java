package dev.specserve.bandit;

/**
 * Bounds what exploration may cost. An update is <em>exploratory</em> when neither the cost model (gain &gt;
 * cost) nor the learned model (posterior-mean advantage over waiting above {@code learnedGateSigmas} posterior
 * standard deviations) says it pays. Thompson sampling may still choose it, which is how an arm the cost model
 * undervalues gets played and its learned correction moves off the prior, but only when:
 * <ul>
 * <li>its predicted cost is at most {@code explorationBudget} × S (S: one horizon's throughput at capacity), and</li>
 * <li>at least {@code explorationSpacing} × k decisions for this drafter have passed since the last exploratory
 * update, the k-th.</li>
 * </ul>
 * So in N decisions there are at most √(2N / explorationSpacing) + 1 exploratory updates, each predicted to cost
 * at most {@code explorationBudget} of a horizon's throughput: exploration's total cost grows as √N, never
 * linearly, and within that Thompson sampling picks such updates ever more rarely as the posterior narrows.
 * A budget of 0 is the strict rule: never update unless a model says it pays. An update whose shadow check fails
 * is never swapped in, whoever chose it (the caller's safety check).
 */
final class ExplorationBudget {
    private final double budget;
    private final int spacing;
    private long lastExploreEpoch;
    private long explored;

    ExplorationBudget(BanditConfig.Tuning tuning) {
        this.budget = tuning.explorationBudget();
        this.spacing = tuning.explorationSpacing();
    }

    boolean allows(long epoch, double predictedCost, double scale) {
        return budget > 0 && predictedCost <= budget * scale && epoch - lastExploreEpoch >= spacing * (explored + 1);
    }

    void spent(long epoch) {
        lastExploreEpoch = epoch;
        explored++;
    }
}
