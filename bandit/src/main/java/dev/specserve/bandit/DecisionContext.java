package dev.specserve.bandit;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the bandit knows about one drafter at a decision epoch.
 *
 * <p>τ is the mean number of tokens emitted per verification round (accepted draft tokens plus the
 * target's bonus token), the "accepted length" of EAGLE/SpecBlock; a round always yields ≥ 1 token.
 * A "round" counts one sequence's verification: a batched forward over B sequences is B rounds, so
 * the drafter currently serves {@code tauNow × roundsPerSecond} tokens/s.
 *
 * @param tauNow                  recent τ (e.g. mean over the last window of rounds)
 * @param tauAfterLastUpdate      τ measured right after the last update (or at deployment)
 * @param driftScore              drift signal, ≥ 0, normalised so that ≥ 1 means the detector alarms
 *                                (see {@link DriftDetector#score()})
 * @param freshSamples            labelled samples collected since the last update
 * @param roundsPerSecond         current load, verification rounds per second
 * @param queueDepth              requests waiting for a batch slot
 * @param batchOccupancy          used fraction of the batch, 0..1
 * @param secondsSinceLastUpdate  seconds since the last update ({@code +∞} if never updated)
 * @param secondsPerStep          measured cost of one update step (s), see {@link UpdateCostModel}
 * @param updateOverheadSeconds   measured fixed cost of one update (s), see {@link UpdateCostModel}
 * @param horizonRoundsPerSecond  the caller's forecast of rounds/s over the horizon, or NaN to let
 *                                the bandit forecast it (EWMA of {@code roundsPerSecond})
 */
public record DecisionContext(
        double tauNow,
        double tauAfterLastUpdate,
        double driftScore,
        long freshSamples,
        double roundsPerSecond,
        int queueDepth,
        double batchOccupancy,
        double secondsSinceLastUpdate,
        double secondsPerStep,
        double updateOverheadSeconds,
        double horizonRoundsPerSecond) {

    private static final MapFields FIELDS = new MapFields("context map");

    public DecisionContext {
        finiteNonNegative("tauNow", tauNow);
        finiteNonNegative("tauAfterLastUpdate", tauAfterLastUpdate);
        finiteNonNegative("driftScore", driftScore);
        if (freshSamples < 0) {
            throw new IllegalArgumentException("freshSamples must be >= 0, got " + freshSamples);
        }
        finiteNonNegative("roundsPerSecond", roundsPerSecond);
        if (queueDepth < 0) {
            throw new IllegalArgumentException("queueDepth must be >= 0, got " + queueDepth);
        }
        if (!(batchOccupancy >= 0 && batchOccupancy <= 1)) {
            throw new IllegalArgumentException("batchOccupancy must be in [0,1], got " + batchOccupancy);
        }
        if (!(secondsSinceLastUpdate >= 0)) {
            throw new IllegalArgumentException("secondsSinceLastUpdate must be >= 0 (or +Infinity), got "
                    + secondsSinceLastUpdate);
        }
        finiteNonNegative("secondsPerStep", secondsPerStep);
        finiteNonNegative("updateOverheadSeconds", updateOverheadSeconds);
        if (!Double.isNaN(horizonRoundsPerSecond)) {
            finiteNonNegative("horizonRoundsPerSecond", horizonRoundsPerSecond);
        }
    }

    /** Seconds an update of {@code steps} steps is expected to take. */
    public double updateSeconds(int steps) {
        return steps == 0 ? 0.0 : updateOverheadSeconds + steps * secondsPerStep;
    }

    /** Tokens per second the drafter serves now: {@code τ_now × rounds/s}. */
    public double servedTokensPerSecond() {
        return tauNow * roundsPerSecond;
    }

    /** τ lost since the last update, {@code max(0, τ_after_last_update − τ_now)}. */
    public double tauGap() {
        return Math.max(0.0, tauAfterLastUpdate - tauNow);
    }

    /** Plain JSON-able view (non-finite numbers become {@code null}). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tauNow", Decision.json(tauNow));
        m.put("tauAfterLastUpdate", Decision.json(tauAfterLastUpdate));
        m.put("driftScore", Decision.json(driftScore));
        m.put("freshSamples", freshSamples);
        m.put("roundsPerSecond", Decision.json(roundsPerSecond));
        m.put("queueDepth", queueDepth);
        m.put("batchOccupancy", Decision.json(batchOccupancy));
        m.put("secondsSinceLastUpdate", Decision.json(secondsSinceLastUpdate));
        m.put("secondsPerStep", Decision.json(secondsPerStep));
        m.put("updateOverheadSeconds", Decision.json(updateOverheadSeconds));
        m.put("horizonRoundsPerSecond", Decision.json(horizonRoundsPerSecond));
        return java.util.Collections.unmodifiableMap(m);
    }

    /**
     * The inverse of {@link #toMap()}: rebuilds the context from its map, e.g. one read back from a
     * JSON log. {@code null} stands for the values JSON cannot carry: +∞ for
     * {@code secondsSinceLastUpdate} (never updated) and NaN for {@code horizonRoundsPerSecond} (no
     * forecast), and for these two a missing key means the same (JSON writers that omit nulls, as the
     * feedback topic's does, drop them); anywhere else null or a missing key is an error. Any {@link Number} is accepted (JSON readers differ in
     * the boxed types they produce); the two counts must be integral. Keys not named here are ignored,
     * so the map may carry more than the context.
     *
     * <p>A {@code double} survives {@code toMap} → JSON → {@code fromMap} bit for bit when the JSON
     * writer prints the shortest representation that reads back to the same double (as
     * {@link Double#toString(double)} and Jackson do), so a replayed decision sees exactly the logged
     * inputs.
     *
     * @throws IllegalArgumentException naming the key that is missing, of the wrong type, or whose
     *                                  value the constructor rejects
     */
    public static DecisionContext fromMap(Map<String, ?> m) {
        java.util.Objects.requireNonNull(m, "map");
        return new DecisionContext(
                FIELDS.number(m, "tauNow"),
                FIELDS.number(m, "tauAfterLastUpdate"),
                FIELDS.number(m, "driftScore"),
                FIELDS.integral(m, "freshSamples"),
                FIELDS.number(m, "roundsPerSecond"),
                FIELDS.intValue(m, "queueDepth"),
                FIELDS.number(m, "batchOccupancy"),
                FIELDS.numberOr(m, "secondsSinceLastUpdate", Double.POSITIVE_INFINITY),
                FIELDS.number(m, "secondsPerStep"),
                FIELDS.number(m, "updateOverheadSeconds"),
                FIELDS.numberOr(m, "horizonRoundsPerSecond", Double.NaN));
    }





    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder()
                .tauNow(tauNow).tauAfterLastUpdate(tauAfterLastUpdate).driftScore(driftScore)
                .freshSamples(freshSamples).roundsPerSecond(roundsPerSecond).queueDepth(queueDepth)
                .batchOccupancy(batchOccupancy).secondsSinceLastUpdate(secondsSinceLastUpdate)
                .secondsPerStep(secondsPerStep).updateOverheadSeconds(updateOverheadSeconds)
                .horizonRoundsPerSecond(horizonRoundsPerSecond);
    }

    /** Copies the cost model's current estimates into the context. */
    public DecisionContext withCosts(UpdateCostModel costs) {
        return toBuilder().costs(costs).build();
    }

    private static void finiteNonNegative(String name, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(name + " must be finite and >= 0, got " + v);
        }
    }

    /** Mutable builder; unset fields are 0, except secondsSinceLastUpdate (+∞) and horizon rate (NaN). */
    public static final class Builder {
        private double tauNow;
        private double tauAfterLastUpdate;
        private double driftScore;
        private long freshSamples;
        private double roundsPerSecond;
        private int queueDepth;
        private double batchOccupancy;
        private double secondsSinceLastUpdate = Double.POSITIVE_INFINITY;
        private double secondsPerStep;
        private double updateOverheadSeconds;
        private double horizonRoundsPerSecond = Double.NaN;

        private Builder() {
        }

        public Builder tauNow(double v) { tauNow = v; return this; }

        public Builder tauAfterLastUpdate(double v) { tauAfterLastUpdate = v; return this; }

        public Builder driftScore(double v) { driftScore = v; return this; }

        public Builder freshSamples(long v) { freshSamples = v; return this; }

        public Builder roundsPerSecond(double v) { roundsPerSecond = v; return this; }

        public Builder queueDepth(int v) { queueDepth = v; return this; }

        public Builder batchOccupancy(double v) { batchOccupancy = v; return this; }

        public Builder secondsSinceLastUpdate(double v) { secondsSinceLastUpdate = v; return this; }

        public Builder secondsPerStep(double v) { secondsPerStep = v; return this; }

        public Builder updateOverheadSeconds(double v) { updateOverheadSeconds = v; return this; }

        public Builder horizonRoundsPerSecond(double v) { horizonRoundsPerSecond = v; return this; }

        /** Sets secondsPerStep and updateOverheadSeconds from the cost model's current estimates. */
        public Builder costs(UpdateCostModel costs) {
            secondsPerStep = costs.secondsPerStep();
            updateOverheadSeconds = costs.overheadSeconds();
            return this;
        }

        /** Sets driftScore from the detector's current normalised statistic. */
        public Builder drift(DriftDetector detector) {
            driftScore = detector.score();
            return this;
        }

        public DecisionContext build() {
            return new DecisionContext(tauNow, tauAfterLastUpdate, driftScore, freshSamples, roundsPerSecond,
                    queueDepth, batchOccupancy, secondsSinceLastUpdate, secondsPerStep, updateOverheadSeconds,
                    horizonRoundsPerSecond);
        }
    }
}
