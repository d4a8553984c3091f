package dev.specserve.bandit;

/**
 * Learns how long a drafter update takes from the durations actually measured, as
 * <pre>  duration ≈ overhead + steps × secondsPerStep</pre>
 * (overhead: snapshotting samples, building the adapter, the hot swap preparation).
 *
 * <p>Estimation is Bayesian ridge regression on {@code (1, steps)} with exponential forgetting:
 * the prior is a weak guess, {@code overhead ~ N(o₀, (2·max(o₀, 1 s))²)} and
 * {@code secondsPerStep ~ N(s₀, (2·s₀)²)}; each observation has relative noise
 * {@code relativeNoise} (so a 10 s update counts as much as a 100 s one, relative to its size), and
 * past evidence is multiplied by {@code forgetting} at each new observation, so the estimate
 * follows a machine whose speed changes (e.g. load from a co-located training job). With a single
 * step count observed, the split between overhead and per-step cost leans on the prior, but
 * {@link #predictSeconds(int)} for that step count is still learned.
 * Estimates are clamped to overhead ≥ 0 and secondsPerStep &gt; 0.
 *
 * <p>Thread-safe.
 */
public final class UpdateCostModel {

    private static final double MIN_SECONDS_PER_STEP = 1e-6;

    private final double priorOverhead;
    private final double priorSecondsPerStep;
    private final double relativeNoise;
    private final double forgetting;
    // prior precision (diagonal)
    private final double priorPrecO;
    private final double priorPrecS;

    // discounted data information matrix [[a, b], [b, c]] and vector (u, v)
    private double a;
    private double b;
    private double c;
    private double u;
    private double v;

    private double overhead;
    private double secondsPerStep;
    private long observations;
    private double lastSeconds = Double.NaN;
    private int lastSteps;

    /** Prior 0.5 s/step, 1 s overhead, 10% relative noise, forgetting 0.95. */
    public UpdateCostModel() {
        this(0.5, 1.0);
    }

    /** Given a prior guess, with 10% relative noise and forgetting 0.95 (memory ≈ 20 updates). */
    public UpdateCostModel(double priorSecondsPerStep, double priorOverheadSeconds) {
        this(priorSecondsPerStep, priorOverheadSeconds, 0.1, 0.95);
    }

    /**
     * @param priorSecondsPerStep  prior guess of seconds per step (&gt; 0)
     * @param priorOverheadSeconds prior guess of the fixed cost per update (≥ 0)
     * @param relativeNoise        relative standard deviation of one measured duration (&gt; 0)
     * @param forgetting           weight kept by past evidence per new observation, (0, 1]
     */
    public UpdateCostModel(double priorSecondsPerStep, double priorOverheadSeconds, double relativeNoise,
                           double forgetting) {
        BanditConfig.requirePositive("priorSecondsPerStep", priorSecondsPerStep);
        BanditConfig.requireNonNegative("priorOverheadSeconds", priorOverheadSeconds);
        BanditConfig.requirePositive("relativeNoise", relativeNoise);
        if (!(forgetting > 0 && forgetting <= 1)) {
            throw new IllegalArgumentException("forgetting must be in (0,1], got " + forgetting);
        }
        this.priorSecondsPerStep = priorSecondsPerStep;
        this.priorOverhead = priorOverheadSeconds;
        this.relativeNoise = relativeNoise;
        this.forgetting = forgetting;
        double sdO = 2 * Math.max(priorOverheadSeconds, 1.0);
        double sdS = 2 * priorSecondsPerStep;
        this.priorPrecO = 1.0 / (sdO * sdO);
        this.priorPrecS = 1.0 / (sdS * sdS);
        this.overhead = priorOverheadSeconds;
        this.secondsPerStep = priorSecondsPerStep;
    }

    /**
     * Reports one finished update.
     *
     * @param steps           gradient steps it ran (≥ 1)
     * @param durationSeconds wall time from start to swapped-in (&gt; 0)
     */
    public synchronized void observe(int steps, double durationSeconds) {
        if (steps < 1) {
            throw new IllegalArgumentException("steps must be >= 1, got " + steps);
        }
        BanditConfig.requirePositive("durationSeconds", durationSeconds);
        // weight from the *predicted* duration: weighting by the observed one would favour short outliers
        double predicted = Math.max(predictLocked(steps), 1e-3);
        double w = 1.0 / (relativeNoise * relativeNoise * predicted * predicted);
        double k = steps;
        a = forgetting * a + w;
        b = forgetting * b + w * k;
        c = forgetting * c + w * k * k;
        u = forgetting * u + w * durationSeconds;
        v = forgetting * v + w * k * durationSeconds;
        observations++;
        lastSeconds = durationSeconds;
        lastSteps = steps;
        solve();
    }

    private void solve() {
        double m00 = priorPrecO + a;
        double m01 = b;
        double m11 = priorPrecS + c;
        double r0 = priorPrecO * priorOverhead + u;
        double r1 = priorPrecS * priorSecondsPerStep + v;
        double det = m00 * m11 - m01 * m01;
        double o = (m11 * r0 - m01 * r1) / det;
        double s = (m00 * r1 - m01 * r0) / det;
        if (o < 0) { // constrained: overhead at its bound, per-step cost conditional on it
            o = 0;
            s = r1 / m11;
        }
        if (s < MIN_SECONDS_PER_STEP) {
            s = MIN_SECONDS_PER_STEP;
            o = Math.max(0, (r0 - m01 * s) / m00);
        }
        overhead = o;
        secondsPerStep = s;
    }

    private double predictLocked(int steps) {
        return overhead + steps * secondsPerStep;
    }

    /** Smoothed seconds per gradient step. */
    public synchronized double secondsPerStep() {
        return secondsPerStep;
    }

    /** Smoothed fixed seconds per update. */
    public synchronized double overheadSeconds() {
        return overhead;
    }

    /** Predicted duration of an update of {@code steps} steps (0 for 0 steps). */
    public synchronized double predictSeconds(int steps) {
        if (steps < 0) {
            throw new IllegalArgumentException("steps must be >= 0");
        }
        return steps == 0 ? 0.0 : predictLocked(steps);
    }

    /** Number of durations reported. */
    public synchronized long observations() {
        return observations;
    }

    /** The last reported duration (NaN if none). */
    public synchronized double lastSeconds() {
        return lastSeconds;
    }

    /** The step count of the last reported update (0 if none). */
    public synchronized int lastSteps() {
        return lastSteps;
    }
}
