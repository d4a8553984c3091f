package dev.specserve.bandit;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * One decision of the {@link CostAwareBandit}, with everything that went into it. Immutable; the
 * realised reward, once known, is carried by a copy with the same {@link #id()}.
 *
 * <p>Money is in tokens: predicted gain and cost are tokens over the horizon; a posterior mean is
 * the predicted reward in tokens (structural gain − cost plus the learned residual).
 *
 * @param id                 stable, unique id: {@code runId:drafterId:epoch}
 * @param drafterId          the drafter this decision is for
 * @param epoch              per-drafter decision counter, from 1
 * @param decidedAtMillis    wall-clock time of the decision (epoch ms)
 * @param context            the inputs
 * @param arm                the chosen arm
 * @param reason             why this arm
 * @param predictedGain      structural gain of the chosen arm (tokens over the horizon)
 * @param predictedCost      structural cost of the chosen arm (tokens)
 * @param rewardScale        tokens per relative reward unit (horizon throughput at forecast load)
 * @param forecastRoundsPerSecond load assumed over the horizon
 * @param estimates          per-arm estimates, in configuration order
 * @param realisedReward     the realised reward (tokens), empty until reported
 * @param sequence           position of the {@code decide} call in the bandit's sequence of state
 *                           changes (every {@code decide} and {@code realise}, counted from 1 under the
 *                           bandit's lock); 0 when not made by a {@link CostAwareBandit}. Listeners run
 *                           outside the lock, so the order in which a log receives decisions and
 *                           rewards can differ from the order the bandit applied them: this number is
 *                           the order, see {@link DecisionReplay}
 * @param realisedSequence position of the {@code realise} call in the same sequence; 0 until realised
 *                           (or when not made by a {@link CostAwareBandit})
 * @param rewardInputs       how the realised reward was measured (a {@link Reward#toMap()}: its windows,
 *                           capacities, training and swap seconds); empty when the caller gave none
 */
public record Decision(
        String id,
        String drafterId,
        long epoch,
        long decidedAtMillis,
        DecisionContext context,
        Arm arm,
        Reason reason,
        double predictedGain,
        double predictedCost,
        double rewardScale,
        double forecastRoundsPerSecond,
        List<ArmEstimate> estimates,
        OptionalDouble realisedReward,
        long sequence,
        long realisedSequence,
        Map<String, Object> rewardInputs) {

    /** Why the chosen arm was chosen. */
    public enum Reason {
        /** No (or too few) fresh samples: nothing to train on, the wait arm is forced. */
        NO_FRESH_SAMPLES,
        /** No update arm has predicted gain above predicted cost: the wait arm is forced. */
        NO_PROFITABLE_UPDATE,
        /** Thompson sampling chose the wait arm or an update that a model says pays. */
        THOMPSON_SAMPLE,
        /**
         * Thompson sampling chose an update that neither the cost model nor the learned model says pays,
         * within the exploration budget ({@link ExplorationBudget}).
         */
        EXPLORATION
    }

    /**
     * The bandit's view of one arm at decision time.
     *
     * @param arm             the arm
     * @param eligible        whether the arm could be chosen (the wait arm always can)
     * @param predictedGain   structural gain, tokens over the horizon
     * @param predictedCost   structural cost, tokens
     * @param advantage       posterior-mean advantage over waiting (tokens): predicted gain −
     *                        predicted cost + the arm's learned correction; 0 for the wait arm
     * @param posteriorMean   predicted reward: gain − cost + posterior-mean residual (tokens)
     * @param posteriorSd     posterior standard deviation of that prediction (tokens)
     * @param sampledValue    the Thompson draw (tokens); NaN when the arm was not sampled
     */
    public record ArmEstimate(
            Arm arm,
            boolean eligible,
            double predictedGain,
            double predictedCost,
            double advantage,
            double posteriorMean,
            double posteriorSd,
            double sampledValue) {

        public ArmEstimate {
            Objects.requireNonNull(arm, "arm");
        }

        /** Structural prior: predicted gain − predicted cost. */
        public double structuralValue() {
            return predictedGain - predictedCost;
        }

        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("arm", arm.name());
            m.put("steps", arm.steps());
            m.put("sampleBudget", arm.sampleBudget());
            m.put("eligible", eligible);
            m.put("predictedGain", json(predictedGain));
            m.put("predictedCost", json(predictedCost));
            m.put("structuralValue", json(structuralValue()));
            m.put("advantage", json(advantage));
            m.put("posteriorMean", json(posteriorMean));
            m.put("posteriorSd", json(posteriorSd));
            m.put("sampledValue", json(sampledValue));
            return Collections.unmodifiableMap(m);
        }
    }

    public Decision {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(drafterId, "drafterId");
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(arm, "arm");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(realisedReward, "realisedReward");
        estimates = List.copyOf(estimates);
        rewardInputs = rewardInputs == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(rewardInputs));
        if (sequence < 0 || realisedSequence < 0) {
            throw new IllegalArgumentException("sequence numbers must be >= 0, got " + sequence + " and "
                    + realisedSequence);
        }
        if (realisedSequence > 0 && (realisedReward.isEmpty() || realisedSequence <= sequence)) {
            throw new IllegalArgumentException("realisedSequence " + realisedSequence
                    + " needs a realised reward and must come after the decision's sequence " + sequence);
        }
    }

    /** A decision without reward inputs. */
    public Decision(String id, String drafterId, long epoch, long decidedAtMillis, DecisionContext context, Arm arm,
                    Reason reason, double predictedGain, double predictedCost, double rewardScale,
                    double forecastRoundsPerSecond, List<ArmEstimate> estimates, OptionalDouble realisedReward,
                    long sequence, long realisedSequence) {
        this(id, drafterId, epoch, decidedAtMillis, context, arm, reason, predictedGain, predictedCost, rewardScale,
                forecastRoundsPerSecond, estimates, realisedReward, sequence, realisedSequence, Map.of());
    }

    /** A decision outside any bandit's sequence (both sequence numbers 0). */
    public Decision(String id, String drafterId, long epoch, long decidedAtMillis, DecisionContext context, Arm arm,
                    Reason reason, double predictedGain, double predictedCost, double rewardScale,
                    double forecastRoundsPerSecond, List<ArmEstimate> estimates, OptionalDouble realisedReward) {
        this(id, drafterId, epoch, decidedAtMillis, context, arm, reason, predictedGain, predictedCost, rewardScale,
                forecastRoundsPerSecond, estimates, realisedReward, 0, 0);
    }

    /** True once the realised reward is known. */
    public boolean isRealised() {
        return realisedReward.isPresent();
    }

    /** True when the chosen arm updates the drafter. */
    /** Gradient steps this decision's update trains (0 to wait): the arm's, for the fresh samples it saw. */
    public int steps() {
        return arm.stepsFor(context.freshSamples());
    }

    public boolean isUpdate() {
        return !arm.isWait();
    }

    /** Posterior-mean predicted reward (tokens) per arm name, in configuration order. */
    public Map<String, Double> posteriorMeans() {
        Map<String, Double> m = new LinkedHashMap<>();
        for (ArmEstimate e : estimates) {
            m.put(e.arm().name(), e.posteriorMean());
        }
        return Collections.unmodifiableMap(m);
    }

    /** The estimate for the chosen arm. */
    public ArmEstimate chosen() {
        return estimate(arm.name());
    }

    /** The estimate for the named arm. */
    public ArmEstimate estimate(String armName) {
        for (ArmEstimate e : estimates) {
            if (e.arm().name().equals(armName)) {
                return e;
            }
        }
        throw new IllegalArgumentException("no arm named " + armName);
    }

    /** This decision with its realised reward (tokens), outside any bandit's sequence. */
    public Decision withRealised(double reward) {
        return withRealised(reward, 0);
    }

    /** This decision with its realised reward (tokens), applied at {@code realisedSequence}. */
    public Decision withRealised(double reward, long realisedSequence) {
        return withRealised(reward, realisedSequence, Map.of());
    }

    /** This decision with its realised reward (tokens) and how it was measured, applied at {@code realisedSequence}. */
    public Decision withRealised(double reward, long realisedSequence, Map<String, Object> inputs) {
        if (!Double.isFinite(reward)) {
            throw new IllegalArgumentException("realised reward must be finite, got " + reward);
        }
        return new Decision(id, drafterId, epoch, decidedAtMillis, context, arm, reason, predictedGain,
                predictedCost, rewardScale, forecastRoundsPerSecond, estimates, OptionalDouble.of(reward), sequence,
                realisedSequence, inputs);
    }

    /**
     * A JSON-able view: only String, Number, Boolean, null, and (unmodifiable) Map/List of those.
     * Non-finite numbers become null.
     */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("drafterId", drafterId);
        m.put("epoch", epoch);
        m.put("decidedAtMillis", decidedAtMillis);
        m.put("arm", arm.name());
        m.put("armSteps", steps());
        m.put("update", isUpdate());
        m.put("reason", reason.name());
        m.put("predictedGain", json(predictedGain));
        m.put("predictedCost", json(predictedCost));
        m.put("rewardScale", json(rewardScale));
        m.put("forecastRoundsPerSecond", json(forecastRoundsPerSecond));
        m.put("posteriorMeans", jsonMap(posteriorMeans()));
        List<Object> arms = new ArrayList<>(estimates.size());
        for (ArmEstimate e : estimates) {
            arms.add(e.toMap());
        }
        m.put("arms", Collections.unmodifiableList(arms));
        m.put("context", context.toMap());
        m.put("realised", isRealised());
        m.put("realisedReward", realisedReward.isPresent() ? (Object) realisedReward.getAsDouble() : null);
        m.put("sequence", sequence);
        m.put("realisedSequence", realisedSequence);
        m.put("rewardInputs", rewardInputs);
        return Collections.unmodifiableMap(m);
    }

    static Double json(double v) {
        return Double.isFinite(v) ? v : null;
    }

    private static Map<String, Object> jsonMap(Map<String, Double> in) {
        Map<String, Object> m = new LinkedHashMap<>();
        in.forEach((k, v) -> m.put(k, json(v)));
        return Collections.unmodifiableMap(m);
    }
}
