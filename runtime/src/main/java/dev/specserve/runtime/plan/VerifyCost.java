package dev.specserve.runtime.plan;

import java.util.List;

/**
 * What a verification forward costs, in ms: a {@link LinearCostModel} over a fixed cost, the tokens computed and
 * the KV rows read, seeded by a start-up profile and refitted from measured rounds, with the running totals of
 * what it predicted against what was measured. Not thread-safe (the planner locks).
 */
final class VerifyCost {
    /** Before any measurement: a fixed cost, per token computed, per 1,024 KV rows read. */
    private static final double[] PRIOR = {3.0, 0.2, 1.0};
    private final LinearCostModel model = new LinearCostModel("verify", PRIOR, 512, 16, 4);
    private double predictedMs;
    private double actualMs;

    /**
     * Features of a verification padded to {@code widest} nodes per sequence: a fixed cost, tokens computed,
     * and KV rows read ({@code columns} per sequence: its past, or when batched the pool's stride, the longest
     * past rounded up to a bucket, which every sequence of the batch attends over).
     */
    static double[] features(int batch, int widest, int columns) {
        double rows = widest + 1;
        return new double[] {1, batch * rows, batch * (double) columns / 1024.0};
    }

    /** Features of {@code batch} verified padded to {@code widest} nodes ({@code batchColumns} < 0: unbatched). */
    static double[] features(List<? extends PlannedSequence> batch, int widest, int batchColumns) {
        if (batch.size() == 1 || batchColumns < 0) {
            int past = 0;
            for (PlannedSequence s : batch) {
                past = Math.max(past, s.pastLength());
            }
            return features(batch.size(), widest, past);
        }
        return features(batch.size(), widest, batchColumns);
    }

    double predict(List<? extends PlannedSequence> batch, int widest, int batchColumns) {
        return model.predict(features(batch, widest, batchColumns));
    }

    void observe(List<? extends PlannedSequence> batch, int widest, int batchColumns, double ms) {
        double[] x = features(batch, widest, batchColumns);
        predictedMs += model.predict(x);
        actualMs += ms;
        model.observe(ms, x);
    }

    /** Replaces the prior with a fit to profiled forwards, (tree nodes, past, ms) triples, and forgets older samples. */
    void calibrate(List<double[]> profile) {
        // fitted from the fixed prior, never from the current fit: its outlier rule would judge the profile by
        // whatever the model has learned, and an engine's warm-up can teach it nonsense
        LinearCostModel fit = new LinearCostModel("profile", PRIOR, profile.size(), profile.size(), 1e-3);
        for (double[] p : profile) {
            fit.observe(p[2], features(1, (int) p[0], (int) p[1]));
        }
        model.resetPrior(fit.coefficients());
    }

    double[] coefficients() {
        return model.coefficients();
    }

    long outliers() {
        return model.outliers();
    }

    @Override
    public String toString() {
        return model.toString();
    }

    String predictedAgainstActual() {
        return String.format("verify ms predicted/actual %.0f/%.0f", predictedMs, actualMs);
    }
}
