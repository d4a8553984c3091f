package dev.specserve.bandit;

/**
 * The bandit's structural prior (its cost model) and the feature vectors of its learned residual. Pure
 * functions of the configuration and a {@link DecisionContext}; see {@link CostAwareBandit} for how they are used.
 *
 * <p>Throughput is capacity, what the engine serves at saturation with this drafter: τ × r̄, with r̄ the
 * rounds/s over the horizon (the caller's forecast, normally the capacity's own round rate, else the bandit's
 * EWMA of observed rounds/s). Gain and cost are both in tokens of that capacity, as the realised
 * {@link Reward} is:
 * <ul>
 * <li>gain = Δτ × r̄ × max(0, H − T − swap), Δτ = gap × (1 − e^{−s/stepsToRecover}) × n/(n + samplesHalfSaturation);</li>
 * <li>cost = τ × r̄ × (share × pressure × T + swap): training seconds × the capacity they take (a share of it,
 *     growing with load pressure), plus the swap stall at full capacity.</li>
 * </ul>
 */
final class StructuralModel {
    static final int BASE_DIM = 6;
    /** Shared features an arm's own block repeats: bias, drift, log fresh samples. */
    static final int[] ARM_BASE = {0, 1, 3};
    static final int ARM_DIM = ARM_BASE.length + 2;
    private static final double FRESH_REFERENCE = Math.log1p(10_000);

    private final BanditConfig config;
    private final BanditConfig.Tuning tuning;

    StructuralModel(BanditConfig config) {
        this.config = config;
        this.tuning = config.tuning();
    }

    /** Load pressure in [0,1]: batch occupancy plus queue depth relative to saturation. */
    double pressure(DecisionContext ctx) {
        return Math.min(1.0, ctx.batchOccupancy() + ctx.queueDepth() / tuning.queueSaturationDepth());
    }

    /** Predicted Δτ of an update arm. */
    double predictedDeltaTau(Arm arm, DecisionContext ctx) {
        if (arm.isWait()) {
            return 0;
        }
        double usable = arm.usableSamples(ctx.freshSamples());
        double dataFraction = usable <= 0 ? 0 : usable / (usable + tuning.samplesHalfSaturation());
        double recovery = 1 - Math.exp(-arm.stepsFor(ctx.freshSamples()) / tuning.stepsToRecover());
        return ctx.tauGap() * recovery * dataFraction;
    }

    /** Predicted gain (tokens over the horizon) at horizon rate rBar rounds/s. */
    double predictedGain(Arm arm, DecisionContext ctx, double rBar) {
        if (arm.isWait()) {
            return 0;
        }
        double busy = ctx.updateSeconds(arm.stepsFor(ctx.freshSamples())) + config.swapCostSeconds();
        return predictedDeltaTau(arm, ctx) * rBar * Math.max(0, config.horizonSeconds() - busy);
    }

    /** Predicted cost (tokens): training seconds × the capacity they take, plus the swap stall. */
    double predictedCost(Arm arm, DecisionContext ctx, double rBar, double pressure) {
        if (arm.isWait()) {
            return 0;
        }
        double capacity = ctx.tauNow() * rBar;
        double taken = tuning.updateCapacityShare() * pressure;
        return capacity * (taken * ctx.updateSeconds(arm.stepsFor(ctx.freshSamples())) + config.swapCostSeconds());
    }

    /** Features every arm shares: bias, drift, relative τ gap, log fresh samples, pressure, time since update. */
    double[] baseFeatures(DecisionContext ctx, double pressure) {
        double[] f = new double[BASE_DIM];
        f[0] = 1.0;
        f[1] = Math.min(ctx.driftScore(), 3.0) / 3.0;
        double relGap = (ctx.tauAfterLastUpdate() - ctx.tauNow()) / Math.max(ctx.tauAfterLastUpdate(), 1.0);
        f[2] = Math.max(-1.0, Math.min(1.0, relGap));
        f[3] = Math.min(2.0, Math.log1p(ctx.freshSamples()) / FRESH_REFERENCE);
        f[4] = pressure;
        double t = ctx.secondsSinceLastUpdate();
        f[5] = Double.isInfinite(t) ? 1.0 : t / (t + config.horizonSeconds());
        return f;
    }

    /** The joint feature vector of an arm whose own block starts at {@code offset} (−1 for the wait arm). */
    double[] jointFeatures(int dimension, int offset, double[] base, double gainRel, double costRel) {
        double[] x = new double[dimension];
        System.arraycopy(base, 0, x, 0, BASE_DIM);
        if (offset >= 0) {
            for (int k = 0; k < ARM_BASE.length; k++) {
                x[offset + k] = base[ARM_BASE[k]];
            }
            double clip = tuning.residualClip();
            x[offset + ARM_BASE.length] = Math.min(gainRel, clip);
            x[offset + ARM_BASE.length + 1] = Math.min(costRel, clip);
        }
        return x;
    }

    static double[] diff(double[] a, double[] b) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i] - b[i];
        }
        return d;
    }
}
