package dev.specserve.runtime.plan;

import java.util.ArrayList;
import java.util.List;

/**
 * What a drafter-model call costs, in ms: a {@link LinearCostModel} over a fixed cost and the rows fed, refitted
 * from measured calls. Its prior is a guess made on no machine in particular, and the planner buys a call only when
 * the estimate says it pays, so a prior several times the real cost would keep the model unbought, and unmeasured,
 * for as long as probes take to gather a fit's worth of samples (hundreds of rounds at one probe per 64). So after
 * each calibration the cost is <em>being profiled</em>: the planner calls the model in the next
 * {@value #PROFILE_CALLS} rounds where it can, whatever the estimate, and the prior is rescaled to the level they
 * measured, as the verify profile becomes the verify cost's prior. Not thread-safe (the planner locks).
 */
final class DraftCost {
    /** Before any measurement: a fixed cost, and per row fed. */
    static final double[] PRIOR = {1.0, 0.05};
    /** Calls timed after a calibration before the prior is rescaled to them. */
    static final int PROFILE_CALLS = 8;
    private final LinearCostModel model = new LinearCostModel("draft", PRIOR, 256, 8, 4);
    private List<double[]> profile;

    /** Starts a profile: the next {@value #PROFILE_CALLS} calls are bought and timed ({@link #profiling}). */
    void calibrate() {
        profile = new ArrayList<>(PROFILE_CALLS);
    }

    /** True while the calls since the last calibration are too few to know the cost: buy one when possible. */
    boolean profiling() {
        return profile != null;
    }

    double predict(int rows) {
        return model.predict(1, rows);
    }

    void observe(double ms, int rows) {
        model.observe(ms, 1, rows);
        if (profile == null || !Double.isFinite(ms)) {
            return;
        }
        profile.add(new double[] {ms, rows});
        if (profile.size() == PROFILE_CALLS) {
            // the prior's shape at the level measured: the median ratio is robust to the odd cold or preempted call,
            // and the rows fed vary too little over a few rounds to fit their slope
            double[] ratios = profile.stream().mapToDouble(p -> p[0] / (PRIOR[0] + PRIOR[1] * p[1])).sorted().toArray();
            double ratio = (ratios[(PROFILE_CALLS - 1) / 2] + ratios[PROFILE_CALLS / 2]) / 2;
            model.resetPrior(new double[] {PRIOR[0] * ratio, PRIOR[1] * ratio});
            profile = null;
        }
    }

    double[] coefficients() {
        return model.coefficients();
    }

    long outliers() {
        return model.outliers();
    }

    @Override
    public String toString() {
        return model + (profile == null ? "" : " (profiling: " + profile.size() + " of " + PROFILE_CALLS + " calls)");
    }
}
