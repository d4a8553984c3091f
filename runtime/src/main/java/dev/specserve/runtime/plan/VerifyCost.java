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

    /** Features of a verification padded to {@code widest} nodes per sequence: a fixed cost, tokens computed, KV rows read. */
    static double[] features(int batch, int widest, long kvRows) {
        return new double[] {1, batch * (widest + 1.0), kvRows / 1024.0};
    }

    static double[] features(List<? extends PlannedSequence> batch, int widest, KvReads kv) {
        return features(batch.size(), widest, kv.rows(batch, widest));
    }

    double predict(List<? extends PlannedSequence> batch, int widest, KvReads kv) {
        return model.predict(features(batch, widest, kv));
    }

    void observe(List<? extends PlannedSequence> batch, int widest, KvReads kv, double ms) {
        double[] x = features(batch, widest, kv);
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
            fit.observe(p[2], features(1, (int) p[0], (long) p[1]));
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

    /** What the model predicted for the forwards measured so far ÷ what they took (1: calibrated; 0 before any). */
    double predictedOverActual() {
        return actualMs == 0 ? 0 : predictedMs / actualMs;
    }

    String predictedAgainstActual() {
        return String.format("verify ms predicted/actual %.0f/%.0f", predictedMs, actualMs);
    }
}
