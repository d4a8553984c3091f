package dev.specserve.bandit;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Configuration of a {@link CostAwareBandit}.
 *
 * <p>Rewards are learned in <em>relative</em> units: a reward is divided by the tokens the drafter
 * would serve over the horizon at its forecast load ({@code max(τ_now, 1) × forecast rounds/s ×
 * horizon}). {@code priorVariance} and {@code noiseVariance} are therefore dimensionless: a noise
 * variance of 0.01 says a realised reward is typically off by ±10% of one horizon's throughput.
 *
 * @param arms            the action set: exactly one arm with {@code steps == 0} (the wait arm) and
 *                        at least one update arm; names unique
 * @param horizonSeconds  how long a drafter improvement is credited for (s)
 * @param swapCostSeconds serving stall caused by hot-swapping the adapter (s of full throughput)
 * @param priorVariance   prior variance of each learned residual coefficient (relative units²)
 * @param noiseVariance   prior guess of the variance of a realised reward around its mean
 *                        (relative units²); the bandit re-estimates it from the data, giving this
 *                        guess the weight of 10 observations
 * @param seed            seed of the Thompson-sampling random stream
 * @param tuning          the structural model and housekeeping knobs
 */
public record BanditConfig(
        List<Arm> arms,
        double horizonSeconds,
        double swapCostSeconds,
        double priorVariance,
        double noiseVariance,
        long seed,
        Tuning tuning) {

    private static final MapFields FIELDS = new MapFields("bandit config map");

    public BanditConfig {
        Objects.requireNonNull(arms, "arms");
        Objects.requireNonNull(tuning, "tuning");
        arms = List.copyOf(arms);
        Set<String> names = new HashSet<>();
        int waits = 0;
        for (Arm a : arms) {
            if (!names.add(a.name())) {
                throw new IllegalArgumentException("duplicate arm name " + a.name());
            }
            if (a.isWait()) {
                waits++;
            }
        }
        if (waits != 1) {
            throw new IllegalArgumentException(
                    "exactly one arm must have steps == 0 (the wait arm), found " + waits);
        }
        if (arms.size() < 2) {
            throw new IllegalArgumentException("at least one update arm (steps > 0) is required");
        }
        requirePositive("horizonSeconds", horizonSeconds);
        requireNonNegative("swapCostSeconds", swapCostSeconds);
        requirePositive("priorVariance", priorVariance);
        requirePositive("noiseVariance", noiseVariance);
        if (priorVariance > 1e6) {
            throw new IllegalArgumentException("priorVariance > 1e6 makes the posterior numerically singular");
        }
    }

    /** A configuration with {@link Tuning#defaults()}. */
    public BanditConfig(List<Arm> arms, double horizonSeconds, double swapCostSeconds,
                        double priorVariance, double noiseVariance, long seed) {
        this(arms, horizonSeconds, swapCostSeconds, priorVariance, noiseVariance, seed, Tuning.defaults());
    }

    /**
     * Default arms, a 300 s horizon, a 0.5 s swap stall, residual prior variance 0.01 (±10% of a
     * horizon's throughput per feature) and a prior noise-variance guess of 0.01.
     */
    public static BanditConfig defaults(long seed) {
        return new BanditConfig(Arm.defaults(), 300.0, 0.5, 0.01, 0.01, seed);
    }

    public BanditConfig withArms(List<Arm> newArms) {
        return new BanditConfig(newArms, horizonSeconds, swapCostSeconds, priorVariance, noiseVariance, seed, tuning);
    }

    public BanditConfig withTuning(Tuning newTuning) {
        return new BanditConfig(arms, horizonSeconds, swapCostSeconds, priorVariance, noiseVariance, seed, newTuning);
    }

    public BanditConfig withSeed(long newSeed) {
        return new BanditConfig(arms, horizonSeconds, swapCostSeconds, priorVariance, noiseVariance, newSeed, tuning);
    }

    /**
     * A plain JSON-able view (String, Number and List/Map of those): everything needed to build an
     * identical bandit, seed included. {@link #fromMap} reads it back.
     */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        List<Object> armList = new ArrayList<>(arms.size());
        for (Arm a : arms) {
            Map<String, Object> am = new LinkedHashMap<>();
            am.put("name", a.name());
            am.put("steps", a.steps());
            am.put("sampleBudget", a.sampleBudget());
            am.put("stepsPerSample", a.stepsPerSample());
            am.put("maxSteps", a.maxSteps());
            armList.add(Collections.unmodifiableMap(am));
        }
        m.put("arms", Collections.unmodifiableList(armList));
        m.put("horizonSeconds", horizonSeconds);
        m.put("swapCostSeconds", swapCostSeconds);
        m.put("priorVariance", priorVariance);
        m.put("noiseVariance", noiseVariance);
        m.put("seed", seed);
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("updateCapacityShare", tuning.updateCapacityShare());
        t.put("queueSaturationDepth", tuning.queueSaturationDepth());
        t.put("stepsToRecover", tuning.stepsToRecover());
        t.put("samplesHalfSaturation", tuning.samplesHalfSaturation());
        t.put("minFreshSamples", tuning.minFreshSamples());
        t.put("structuralPriorVariance", tuning.structuralPriorVariance());
        t.put("loadForecastWeight", tuning.loadForecastWeight());
        t.put("discount", tuning.discount());
        t.put("learnedGateSigmas", tuning.learnedGateSigmas());
        t.put("residualClip", tuning.residualClip());
        t.put("maxPending", tuning.maxPending());
        t.put("explorationBudget", tuning.explorationBudget());
        t.put("explorationSpacing", tuning.explorationSpacing());
        m.put("tuning", Collections.unmodifiableMap(t));
        return Collections.unmodifiableMap(m);
    }

    /**
     * The inverse of {@link #toMap()} (any {@link Number} type is accepted where a number is due).
     *
     * @throws IllegalArgumentException naming a missing or mistyped key, or a value the constructors
     *                                  reject
     */
    public static BanditConfig fromMap(Map<String, ?> m) {
        Objects.requireNonNull(m, "map");
        Object armsValue = m.get("arms");
        if (!(armsValue instanceof List<?> armValues)) {
            throw new IllegalArgumentException("bandit config map: 'arms' is not a list: " + armsValue);
        }
        List<Arm> armList = new ArrayList<>();
        for (Object o : armValues) {
            Map<String, ?> am = map(o, "arms[]");
            Object name = am.get("name");
            if (!(name instanceof String n)) {
                throw new IllegalArgumentException("bandit config map: arm name is not a string: " + name);
            }
            int steps = FIELDS.intValue(am, "steps");
            armList.add(new Arm(n, steps, FIELDS.integral(am, "sampleBudget"), FIELDS.numberOr(am, "stepsPerSample", 0),
                    (int) FIELDS.numberOr(am, "maxSteps", steps)));
        }
        Map<String, ?> t = map(m.get("tuning"), "tuning");
        Tuning tuning = new Tuning(FIELDS.number(t, "updateCapacityShare"), FIELDS.number(t, "queueSaturationDepth"),
                FIELDS.number(t, "stepsToRecover"), FIELDS.number(t, "samplesHalfSaturation"), FIELDS.integral(t, "minFreshSamples"),
                FIELDS.number(t, "structuralPriorVariance"), FIELDS.number(t, "loadForecastWeight"), FIELDS.number(t, "discount"),
                FIELDS.number(t, "learnedGateSigmas"), FIELDS.number(t, "residualClip"),
                FIELDS.intValue(t, "maxPending"), FIELDS.numberOr(t, "explorationBudget", 0),
                (int) FIELDS.numberOr(t, "explorationSpacing", 1));
        return new BanditConfig(armList, FIELDS.number(m, "horizonSeconds"), FIELDS.number(m, "swapCostSeconds"),
                FIELDS.number(m, "priorVariance"), FIELDS.number(m, "noiseVariance"), FIELDS.integral(m, "seed"), tuning);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, ?> map(Object o, String key) {
        if (!(o instanceof Map<?, ?>)) {
            throw new IllegalArgumentException("bandit config map: '" + key + "' is not a map: " + o);
        }
        return (Map<String, ?>) o;
    }




    /** The single arm with {@code steps == 0}. */
    public Arm waitArm() {
        return arms.stream().filter(Arm::isWait).findFirst().orElseThrow();
    }

    /**
     * Knobs of the structural (cost-model) prior and of the learner's housekeeping.
     *
     * @param updateCapacityShare     fraction of serving capacity an update steals while it runs, at
     *                                full load (0..1]; the lost share of served throughput is this
     *                                times the load pressure
     * @param queueSaturationDepth    queue depth at which load pressure counts as saturated (≥ 1)
     * @param stepsToRecover          e-folding step count of the structural recovery curve: an update of
     *                                s steps recovers {@code 1 − exp(−s / stepsToRecover)} of the gap
     * @param samplesHalfSaturation   fresh samples at which an update is half data-limited
     * @param minFreshSamples         fewest fresh samples for which any update is considered (≥ 1)
     * @param structuralPriorVariance prior variance of the learned multipliers on predicted gain and
     *                                predicted cost (1.0 = "the cost model may be off by ±100%")
     * @param loadForecastWeight      EWMA weight of the newest rounds/s in the horizon load forecast
     * @param discount                per-observation forgetting factor of the learned model (1 = none)
     * @param learnedGateSigmas       how sure the learned model must be before it alone makes an
     *                                update eligible: posterior-mean advantage over waiting minus
     *                                this many posterior standard deviations must be &gt; 0
     *                                (0.5 ≈ 69% posterior probability that the update pays)
     * @param residualClip            bound on a normalised residual target (outlier guard)
     * @param maxPending              most unrealised decisions remembered; older ones are dropped
     */
    public record Tuning(
            double updateCapacityShare,
            double queueSaturationDepth,
            double stepsToRecover,
            double samplesHalfSaturation,
            long minFreshSamples,
            double structuralPriorVariance,
            double loadForecastWeight,
            double discount,
            double learnedGateSigmas,
            double residualClip,
            int maxPending,
            double explorationBudget,
            int explorationSpacing) {

        public Tuning {
            if (!(updateCapacityShare > 0 && updateCapacityShare <= 1)) {
                throw new IllegalArgumentException(
                        "updateCapacityShare must be in (0,1], got " + updateCapacityShare);
            }
            if (!(queueSaturationDepth >= 1) || Double.isInfinite(queueSaturationDepth)) {
                throw new IllegalArgumentException(
                        "queueSaturationDepth must be finite and >= 1, got " + queueSaturationDepth);
            }
            requirePositive("stepsToRecover", stepsToRecover);
            requireNonNegative("samplesHalfSaturation", samplesHalfSaturation);
            if (minFreshSamples < 1) {
                throw new IllegalArgumentException(
                        "minFreshSamples must be >= 1 (never update without fresh samples)");
            }
            requirePositive("structuralPriorVariance", structuralPriorVariance);
            if (structuralPriorVariance > 1e6) {
                throw new IllegalArgumentException(
                        "structuralPriorVariance > 1e6 makes the posterior numerically singular");
            }
            if (!(loadForecastWeight > 0 && loadForecastWeight <= 1)) {
                throw new IllegalArgumentException(
                        "loadForecastWeight must be in (0,1], got " + loadForecastWeight);
            }
            if (!(discount > 0.5 && discount <= 1)) {
                throw new IllegalArgumentException("discount must be in (0.5,1], got " + discount);
            }
            requireNonNegative("learnedGateSigmas", learnedGateSigmas);
            requirePositive("residualClip", residualClip);
            if (maxPending < 1) {
                throw new IllegalArgumentException("maxPending must be >= 1");
            }
            requireNonNegative("explorationBudget", explorationBudget);
            if (explorationSpacing < 1) {
                throw new IllegalArgumentException("explorationSpacing must be >= 1");
            }
        }

        /** Without exploration beyond what a model says pays (explorationBudget 0). */
        public Tuning(double updateCapacityShare, double queueSaturationDepth, double stepsToRecover,
                      double samplesHalfSaturation, long minFreshSamples, double structuralPriorVariance,
                      double loadForecastWeight, double discount, double learnedGateSigmas, double residualClip,
                      int maxPending) {
            this(updateCapacityShare, queueSaturationDepth, stepsToRecover, samplesHalfSaturation, minFreshSamples,
                    structuralPriorVariance, loadForecastWeight, discount, learnedGateSigmas, residualClip, maxPending,
                    0, 1);
        }

        public static Tuning defaults() {
            return new Tuning(0.5, 8.0, 32.0, 256.0, 1, 1.0, 0.1, 1.0, 0.5, 10.0, 4096, 0.05, 20);
        }

        public Tuning withUpdateCapacityShare(double v) {
            return new Tuning(v, queueSaturationDepth, stepsToRecover, samplesHalfSaturation,
                    minFreshSamples, structuralPriorVariance, loadForecastWeight, discount,
                    learnedGateSigmas, residualClip, maxPending, explorationBudget, explorationSpacing);
        }

        public Tuning withQueueSaturationDepth(double v) {
            return new Tuning(updateCapacityShare, v, stepsToRecover, samplesHalfSaturation,
                    minFreshSamples, structuralPriorVariance, loadForecastWeight, discount,
                    learnedGateSigmas, residualClip, maxPending, explorationBudget, explorationSpacing);
        }

        public Tuning withStepsToRecover(double v) {
            return new Tuning(updateCapacityShare, queueSaturationDepth, v, samplesHalfSaturation,
                    minFreshSamples, structuralPriorVariance, loadForecastWeight, discount,
                    learnedGateSigmas, residualClip, maxPending, explorationBudget, explorationSpacing);
        }

        public Tuning withSamplesHalfSaturation(double v) {
            return new Tuning(updateCapacityShare, queueSaturationDepth, stepsToRecover, v,
                    minFreshSamples, structuralPriorVariance, loadForecastWeight, discount,
                    learnedGateSigmas, residualClip, maxPending, explorationBudget, explorationSpacing);
        }

        public Tuning withMinFreshSamples(long v) {
            return new Tuning(updateCapacityShare, queueSaturationDepth, stepsToRecover, samplesHalfSaturation,
                    v, structuralPriorVariance, loadForecastWeight, discount,
                    learnedGateSigmas, residualClip, maxPending, explorationBudget, explorationSpacing);
        }

        public Tuning withStructuralPriorVariance(double v) {
            return new Tuning(updateCapacityShare, queueSaturationDepth, stepsToRecover, samplesHalfSaturation,
                    minFreshSamples, v, loadForecastWeight, discount,
                    learnedGateSigmas, residualClip, maxPending, explorationBudget, explorationSpacing);
        }

        public Tuning withLoadForecastWeight(double v) {
            return new Tuning(updateCapacityShare, queueSaturationDepth, stepsToRecover, samplesHalfSaturation,
                    minFreshSamples, structuralPriorVariance, v, discount,
                    learnedGateSigmas, residualClip, maxPending, explorationBudget, explorationSpacing);
        }

        public Tuning withDiscount(double v) {
            return new Tuning(updateCapacityShare, queueSaturationDepth, stepsToRecover, samplesHalfSaturation,
                    minFreshSamples, structuralPriorVariance, loadForecastWeight, v,
                    learnedGateSigmas, residualClip, maxPending, explorationBudget, explorationSpacing);
        }

        public Tuning withLearnedGateSigmas(double v) {
            return new Tuning(updateCapacityShare, queueSaturationDepth, stepsToRecover, samplesHalfSaturation,
                    minFreshSamples, structuralPriorVariance, loadForecastWeight, discount,
                    v, residualClip, maxPending, explorationBudget, explorationSpacing);
        }

        /** Exploration bounds, see {@link ExplorationBudget}. */
        public Tuning withExploration(double budget, int spacing) {
            return new Tuning(updateCapacityShare, queueSaturationDepth, stepsToRecover, samplesHalfSaturation,
                    minFreshSamples, structuralPriorVariance, loadForecastWeight, discount,
                    learnedGateSigmas, residualClip, maxPending, budget, spacing);
        }

        public Tuning withMaxPending(int v) {
            return new Tuning(updateCapacityShare, queueSaturationDepth, stepsToRecover, samplesHalfSaturation,
                    minFreshSamples, structuralPriorVariance, loadForecastWeight, discount,
                    learnedGateSigmas, residualClip, v, explorationBudget, explorationSpacing);
        }
    }

    static void requirePositive(String name, double v) {
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(name + " must be finite and > 0, got " + v);
        }
    }

    static void requireNonNegative(String name, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(name + " must be finite and >= 0, got " + v);
        }
    }
}
