package dev.specserve.bandit;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;
import java.util.function.ToDoubleFunction;

import org.apache.commons.math3.random.RandomGenerator;
import org.apache.commons.math3.random.Well19937c;

/**
 * A simulated serving deployment of one drafter, for testing the bandit. Seeded: the same builder
 * settings give the same run.
 *
 * <p>The truth: a fully adapted drafter reaches τ* tokens per round. Acceptance drifts down by
 * {@code driftPerEpoch} per epoch (never below {@code tauFloor}), or wanders around a mean that it
 * reverts to by itself ({@link Builder#wandering}). An update with arm a recovers
 * {@code recovery(a) × (τ* − τ) × n/(n + halfSaturation)} of τ, takes
 * {@code overhead + steps × secondsPerStep} seconds (reported, with noise, to an
 * {@link UpdateCostModel}), steals {@code capacityShare × pressure} of the served throughput while
 * it runs and stalls serving for {@code swapCostSeconds}. Rewards are in tokens over the horizon,
 * exactly as the caller of {@link CostAwareBandit#realise} would measure them, plus Gaussian noise.
 *
 * <p>Two dynamics: {@link Dynamics#DRIFTING} carries the state from epoch to epoch (updates lift τ,
 * waiting lets it decay, a {@link DriftDetector} watches simulated rounds); {@link Dynamics#IID}
 * draws an independent state each epoch (the setting of the contextual-bandit regret bounds).
 */
final class SimulatedEnvironment {

    enum Dynamics { DRIFTING, IID }

    /** Load at one epoch. */
    record Load(double roundsPerSecond, double occupancy, int queueDepth) {
        static final Load LULL = new Load(30, 0.1, 0);
        static final Load MODERATE = new Load(80, 0.5, 0);
        static final Load HIGH = new Load(120, 1.0, 8);

        double pressure() {
            return Math.min(1.0, occupancy + queueDepth / 8.0);
        }
    }

    private final Builder p;
    private final RandomGenerator rng;
    private final UpdateCostModel costModel;
    private final DriftDetector drift;

    // state
    private long epoch;
    private double tau;
    private double tauAfter;
    private long fresh;
    private double secondsSinceUpdate = Double.POSITIVE_INFINITY;
    private Load load;
    private double iidDriftScore;
    private double observedTau;
    private DecisionContext ctx;
    private double servedTokens;

    private SimulatedEnvironment(Builder b) {
        this.p = b;
        this.rng = new Well19937c(b.seed);
        this.costModel = new UpdateCostModel(b.priorSecondsPerStep, b.priorOverheadSeconds);
        this.drift = new DriftDetector(100, 8, 0.5, 8);
        this.tau = b.tauPotential;
        this.tauAfter = b.tauPotential;
        this.fresh = 0;
        enterEpoch();
    }

    static Builder builder(long seed) {
        return new Builder(seed);
    }

    /** The context of the current epoch (the same object until {@link #step}). */
    DecisionContext context() {
        return ctx;
    }

    long epoch() {
        return epoch;
    }

    Load load() {
        return load;
    }

    double tau() {
        return tau;
    }

    UpdateCostModel costModel() {
        return costModel;
    }

    DriftDetector driftDetector() {
        return drift;
    }

    /** Tokens per relative reward unit: horizon throughput of a fully adapted drafter. */
    double scale() {
        return p.tauPotential * p.meanRoundsPerSecond * p.horizonSeconds;
    }

    /** True expected Δτ of an arm in the current state. */
    double trueDeltaTau(Arm arm) {
        if (arm.isWait()) {
            return 0;
        }
        double gap = Math.max(0, p.tauPotential - tau);
        double usable = arm.usableSamples(fresh);
        double dataFraction = usable <= 0 ? 0 : usable / (usable + p.samplesHalfSaturation);
        return p.recovery.applyAsDouble(arm) * gap * dataFraction;
    }

    double trueUpdateSeconds(Arm arm) {
        return arm.isWait() ? 0 : p.overheadSeconds + arm.steps() * p.secondsPerStep;
    }

    double trueGain(Arm arm) {
        if (arm.isWait()) {
            return 0;
        }
        double busy = trueUpdateSeconds(arm) + p.swapCostSeconds;
        return trueDeltaTau(arm) * p.meanRoundsPerSecond * Math.max(0, p.horizonSeconds - busy);
    }

    double trueCost(Arm arm) {
        if (arm.isWait()) {
            return 0;
        }
        double served = tau * load.roundsPerSecond();
        return served * (p.capacityShare * load.pressure() * trueUpdateSeconds(arm) + p.swapCostSeconds);
    }

    /** Expected change of τ over the next epoch if nothing is done (drift and mean reversion). */
    double expectedTauTrend() {
        double next = tau + p.meanReversion * (p.tauMean - tau) - p.driftPerEpoch;
        return Math.max(p.tauFloor, Math.min(p.tauPotential, next)) - tau;
    }

    /** Expected reward (tokens) of an arm now: the shared throughput trend plus gain minus cost. */
    double expectedReward(Arm arm) {
        double baseline = 0.5 * expectedTauTrend() * p.meanRoundsPerSecond * p.horizonSeconds;
        return baseline + trueGain(arm) - trueCost(arm);
    }

    /** The arm with the highest expected reward now (ties to the earlier arm in the list). */
    Arm bestArm(List<Arm> arms) {
        Arm best = arms.get(0);
        for (Arm a : arms) {
            if (expectedReward(a) > expectedReward(best)) {
                best = a;
            }
        }
        return best;
    }

    /** Expected regret (tokens) of playing {@code arm} now. */
    double regret(List<Arm> arms, Arm arm) {
        return expectedReward(bestArm(arms)) - expectedReward(arm);
    }

    /** Tokens actually served so far: τ × rounds/s × epoch length, less what updates cost. */
    double servedTokens() {
        return servedTokens;
    }

    /** Plays an arm: returns the noisy realised reward (tokens) and moves to the next epoch. */
    double step(Arm arm) {
        double reward = expectedReward(arm) + p.rewardNoise * scale() * rng.nextGaussian();
        servedTokens += tau * load.roundsPerSecond() * p.epochSeconds - trueCost(arm);
        if (!arm.isWait()) {
            tau = Math.min(p.tauPotential, tau + trueDeltaTau(arm));
            double seconds = trueUpdateSeconds(arm) * Math.exp(p.durationNoise * rng.nextGaussian());
            costModel.observe(arm.steps(), seconds);
            fresh = 0;
            secondsSinceUpdate = 0;
            tauAfter = tau;
            drift.reset();
        }
        epoch++;
        if (p.dynamics == Dynamics.DRIFTING) {
            tau += expectedTauTrend() + p.tauWander * rng.nextGaussian();
            tau = Math.max(p.tauFloor, Math.min(p.tauPotential, tau));
            fresh += Math.round(p.samplesPerRound * p.loadProfile.apply(epoch).roundsPerSecond() * p.epochSeconds);
            secondsSinceUpdate += p.epochSeconds;
        }
        enterEpoch();
        return reward;
    }

    private void enterEpoch() {
        load = p.loadProfile.apply(epoch);
        if (p.dynamics == Dynamics.IID) {
            double gap = p.gapMin + (p.gapMax - p.gapMin) * rng.nextDouble();
            tau = p.tauPotential - gap;
            // the bandit only sees the loss since the last update, a part of the recoverable gap
            tauAfter = tau + gap * (0.6 + 0.4 * rng.nextDouble());
            fresh = rng.nextDouble() < p.zeroFreshProbability ? 0
                    : p.freshMin + (long) ((p.freshMax - p.freshMin) * rng.nextDouble());
            secondsSinceUpdate = 60 + 1800 * rng.nextDouble();
            iidDriftScore = Math.min(3, gap / 0.4);
        } else {
            for (int i = 0; i < p.driftRoundsPerEpoch; i++) {
                drift.observe(tau + p.roundSd * rng.nextGaussian());
            }
        }
        observedTau = Math.max(0, tau + p.tauObservationNoise * rng.nextGaussian());
        double observedAfter = Math.max(0, tauAfter + p.tauObservationNoise * rng.nextGaussian());
        DecisionContext.Builder b = DecisionContext.builder()
                .tauNow(observedTau)
                .tauAfterLastUpdate(observedAfter)
                .driftScore(p.dynamics == Dynamics.IID ? iidDriftScore : drift.score())
                .freshSamples(fresh)
                .roundsPerSecond(load.roundsPerSecond())
                .queueDepth(load.queueDepth())
                .batchOccupancy(load.occupancy())
                .secondsSinceLastUpdate(secondsSinceUpdate)
                .costs(costModel);
        if (p.tellHorizonRate) {
            b.horizonRoundsPerSecond(p.meanRoundsPerSecond);
        }
        ctx = b.build();
    }

    static final class Builder {
        final long seed;
        Dynamics dynamics = Dynamics.DRIFTING;
        double horizonSeconds = 300;
        double epochSeconds = 60;
        double tauPotential = 4.0;
        double tauFloor = 1.0;
        double driftPerEpoch = 0.05;
        double meanReversion = 0;
        double tauMean = 3.0;
        double tauWander = 0;
        double tauObservationNoise = 0.02;
        double roundSd = 1.2;
        int driftRoundsPerEpoch = 40;
        ToDoubleFunction<Arm> recovery = a -> 1 - Math.exp(-a.steps() / 16.0);
        double samplesHalfSaturation = 128;
        double samplesPerRound = 0.05;
        double secondsPerStep = 1.0;
        double overheadSeconds = 2.0;
        double durationNoise = 0.05;
        double priorSecondsPerStep = 0.5;
        double priorOverheadSeconds = 1.0;
        double capacityShare = 0.5;
        double swapCostSeconds = 0.5;
        double meanRoundsPerSecond = 80;
        boolean tellHorizonRate = true;
        LongFunction<Load> loadProfile = e -> Load.MODERATE;
        double rewardNoise = 0.03;
        // IID only
        double gapMin = 0.1;
        double gapMax = 1.2;
        long freshMin = 50;
        long freshMax = 1000;
        double zeroFreshProbability = 0.1;

        private Builder(long seed) {
            this.seed = seed;
        }

        Builder dynamics(Dynamics d) { dynamics = d; return this; }

        Builder driftPerEpoch(double v) { driftPerEpoch = v; return this; }

        /**
         * Acceptance that wanders around {@code mean} by itself: each epoch τ moves
         * {@code reversion × (mean − τ)} plus Gaussian noise of sd {@code wander}, and does not drift.
         */
        Builder wandering(double mean, double reversion, double wander) {
            tauMean = mean;
            meanReversion = reversion;
            tauWander = wander;
            driftPerEpoch = 0;
            return this;
        }

        Builder recovery(ToDoubleFunction<Arm> f) { recovery = f; return this; }

        /** The same true recovery fraction for every update arm. */
        Builder recovery(double fraction) { recovery = a -> a.isWait() ? 0 : fraction; return this; }

        /** True recovery per arm name (arms not named recover nothing). */
        Builder recovery(Map<String, Double> byName) {
            Map<String, Double> copy = new HashMap<>(byName);
            recovery = a -> copy.getOrDefault(a.name(), 0.0);
            return this;
        }

        Builder loadProfile(LongFunction<Load> f) { loadProfile = f; return this; }

        Builder constantLoad(Load l) { loadProfile = e -> l; return this; }

        Builder meanRoundsPerSecond(double v) { meanRoundsPerSecond = v; return this; }

        Builder rewardNoise(double v) { rewardNoise = v; return this; }

        Builder gapRange(double min, double max) { gapMin = min; gapMax = max; return this; }

        Builder freshRange(long min, long max) { freshMin = min; freshMax = max; return this; }

        Builder zeroFreshProbability(double v) { zeroFreshProbability = v; return this; }

        Builder capacityShare(double v) { capacityShare = v; return this; }

        Builder secondsPerStep(double v) { secondsPerStep = v; return this; }

        Builder tellHorizonRate(boolean v) { tellHorizonRate = v; return this; }

        SimulatedEnvironment build() {
            return new SimulatedEnvironment(this);
        }
    }
}
