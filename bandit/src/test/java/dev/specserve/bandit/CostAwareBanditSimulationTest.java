package dev.specserve.bandit;

import static dev.specserve.bandit.SimulatedEnvironment.Dynamics.IID;
import static dev.specserve.bandit.SimulatedEnvironment.Load.HIGH;
import static dev.specserve.bandit.SimulatedEnvironment.Load.LULL;
import static dev.specserve.bandit.SimulatedEnvironment.Load.MODERATE;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The bandit learning in {@link SimulatedEnvironment}. Each epoch: decide, play the arm, realise the
 * noisy reward. Regret is expected (noise-free) regret against the truly best arm of the epoch, in
 * units of S* = the horizon throughput of a fully adapted drafter (τ* × mean rounds/s × horizon).
 * Every scenario runs on three seeds; everything is deterministic.
 */
class CostAwareBanditSimulationTest {

    private static CostAwareBandit bandit(BanditConfig cfg) {
        return new CostAwareBandit(cfg, Clock.systemUTC(), "sim");
    }

    /** Structure right for the small update, optimistic for the large one; the truth: the large one overfits. */
    private static SimulatedEnvironment smallIsBest(long seed) {
        return SimulatedEnvironment.builder(seed).dynamics(IID)
                .recovery(Map.of("UPDATE_SMALL", 0.45, "UPDATE_LARGE", 0.40)).build();
    }

    private static BanditConfig smallIsBestConfig(long seed) {
        BanditConfig cfg = BanditConfig.defaults(seed);
        // the cost model predicts LARGE recovers 0.86 of the gap and SMALL 0.39
        return cfg.withTuning(cfg.tuning().withStepsToRecover(16).withSamplesHalfSaturation(128));
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void convergesToUpdateSmallWhenItIsTrulyBest(long seed) {
        SimulatedEnvironment env = smallIsBest(seed);
        CostAwareBandit b = bandit(smallIsBestConfig(seed));
        List<Arm> arms = b.config().arms();
        int n = 2000;
        int smallBest = 0;
        int smallChosen = 0;
        int largeChosenLate = 0;
        int early = 0;
        int earlySmall = 0;
        for (int i = 1; i <= n; i++) {
            Decision d = b.decide("d", env.context());
            boolean isSmallBest = env.bestArm(arms).equals(Arm.UPDATE_SMALL);
            if (isSmallBest && i <= 200) {
                early++;
                earlySmall += d.arm().equals(Arm.UPDATE_SMALL) ? 1 : 0;
            }
            if (i > n - 700) {
                if (isSmallBest) {
                    smallBest++;
                    smallChosen += d.arm().equals(Arm.UPDATE_SMALL) ? 1 : 0;
                }
                largeChosenLate += d.arm().equals(Arm.UPDATE_LARGE) ? 1 : 0;
            }
            b.realise(d.id(), env.step(d.arm()));
        }
        assertThat(smallBest).as("epochs in the last 700 where UPDATE_SMALL is truly best").isGreaterThan(400);
        double late = (double) smallChosen / smallBest;
        assertThat(late).as("share of those where it picks UPDATE_SMALL").isGreaterThanOrEqualTo(0.80);
        assertThat(late).as("it learned: better than over its first 200 epochs")
                .isGreaterThan((double) earlySmall / early);
        assertThat(largeChosenLate).as("UPDATE_LARGE picks in the last 700").isLessThanOrEqualTo(70);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void stillConvergesWhenRewardsArriveEightEpochsLate(long seed) {
        SimulatedEnvironment env = smallIsBest(seed);
        CostAwareBandit b = bandit(smallIsBestConfig(seed));
        ArrayDeque<Object[]> inFlight = new ArrayDeque<>();
        int n = 2000;
        int smallBest = 0;
        int smallChosen = 0;
        for (int i = 1; i <= n; i++) {
            Decision d = b.decide("d", env.context());
            if (i > n - 700 && env.bestArm(b.config().arms()).equals(Arm.UPDATE_SMALL)) {
                smallBest++;
                smallChosen += d.arm().equals(Arm.UPDATE_SMALL) ? 1 : 0;
            }
            inFlight.add(new Object[] {d.id(), env.step(d.arm())});
            if (inFlight.size() > 8) {
                Object[] r = inFlight.poll();
                b.realise((String) r[0], (Double) r[1]);
            }
        }
        assertThat(b.pendingCount()).isEqualTo(8);
        assertThat((double) smallChosen / smallBest).isGreaterThanOrEqualTo(0.85);
    }

    /**
     * Updates recover nothing, yet every epoch shows the cost model an acceptance gap it would
     * like to win back (moderate load, independent epochs). Only what it learns from realised
     * rewards can stop it: after a burn-in of 2000 epochs it must update in at most 5% of epochs,
     * where its cost model alone finds an update worth it in more than 30%.
     */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void stopsUpdatingWhenUpdatesTrulyGainNothing(long seed) {
        SimulatedEnvironment env = SimulatedEnvironment.builder(seed).dynamics(IID).recovery(0.0)
                .constantLoad(MODERATE).build();
        CostAwareBandit b = bandit(BanditConfig.defaults(seed));
        int n = 4000;
        int burnIn = 2000;
        int updates = 0;
        int costModelWouldUpdate = 0;
        for (int i = 1; i <= n; i++) {
            Decision d = b.decide("d", env.context());
            if (i > burnIn) {
                updates += d.isUpdate() ? 1 : 0;
                boolean structural = d.estimates().stream()
                        .anyMatch(e -> !e.arm().isWait() && e.predictedGain() > e.predictedCost());
                costModelWouldUpdate += structural ? 1 : 0;
            }
            b.realise(d.id(), env.step(d.arm()));
        }
        assertThat((double) costModelWouldUpdate / (n - burnIn)).as("cost model alone").isGreaterThan(0.30);
        assertThat((double) updates / (n - burnIn)).as("update share after burn-in").isLessThanOrEqualTo(0.05);
    }

    /**
     * Independent epochs with mixed load (lull, moderate, high) and a cost model that underrates the
     * gains. Stated bound: regret(N) ≤ C · S* · √(N ln N) with C = 0.1 at every checkpoint, and
     * regret(N)/N strictly falling from N = 256 to 1024 to 4096.
     */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void regretIsSubLinearAndWithinTheStatedBound(long seed) {
        SimulatedEnvironment env = SimulatedEnvironment.builder(seed).dynamics(IID)
                .loadProfile(e -> switch ((int) (e % 3)) {
                    case 0 -> LULL;
                    case 1 -> MODERATE;
                    default -> HIGH;
                }).build();
        CostAwareBandit b = bandit(BanditConfig.defaults(seed));
        List<Arm> arms = b.config().arms();
        double c = 0.1;
        double regret = 0;
        double[] perEpoch = new double[3];
        int k = 0;
        for (int n = 1; n <= 4096; n++) {
            Decision d = b.decide("d", env.context());
            regret += env.regret(arms, d.arm()) / env.scale();
            b.realise(d.id(), env.step(d.arm()));
            if (n == 256 || n == 1024 || n == 4096) {
                assertThat(regret).as("regret(%d)", n).isLessThanOrEqualTo(c * Math.sqrt(n * Math.log(n)));
                perEpoch[k++] = regret / n;
            }
        }
        assertThat(perEpoch[1]).as("regret(1024)/1024 < regret(256)/256").isLessThan(perEpoch[0]);
        assertThat(perEpoch[2]).as("regret(4096)/4096 < regret(1024)/1024").isLessThan(perEpoch[1]);
        assertThat(perEpoch[2]).as("regret(4096)/4096 at most half of regret(256)/256").isLessThan(perEpoch[0] / 2);
    }

    /**
     * Lull and high-load epochs alternate; the gap (so the gain) has the same distribution in both.
     * Learning must not erase the asymmetry: updates are cheap at a lull and dear under load.
     */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void updatesMoreReadilyDuringALullThanUnderHighLoadWithTheSameGain(long seed) {
        SimulatedEnvironment env = SimulatedEnvironment.builder(seed).dynamics(IID)
                .loadProfile(e -> e % 2 == 0 ? LULL : HIGH).gapRange(0.1, 0.6).build();
        CostAwareBandit b = bandit(BanditConfig.defaults(seed));
        int n = 1500;
        int lull = 0;
        int lullUpdates = 0;
        int high = 0;
        int highUpdates = 0;
        for (int i = 1; i <= n; i++) {
            boolean atLull = env.load() == LULL;
            Decision d = b.decide("d", env.context());
            if (i > 300) {
                if (atLull) {
                    lull++;
                    lullUpdates += d.isUpdate() ? 1 : 0;
                } else {
                    high++;
                    highUpdates += d.isUpdate() ? 1 : 0;
                }
            }
            b.realise(d.id(), env.step(d.arm()));
        }
        double pLull = (double) lullUpdates / lull;
        double pHigh = (double) highUpdates / high;
        assertThat(pLull).as("P(update | lull)").isGreaterThanOrEqualTo(0.8);
        // costs are priced at capacity, so load moves them through the share training takes, not through demand
        assertThat(pLull - pHigh).as("P(update | lull) − P(update | high load)").isGreaterThanOrEqualTo(0.3);
    }

    /**
     * A drifting deployment run end to end: per-round acceptance feeds a {@link DriftDetector},
     * update durations feed an {@link UpdateCostModel}. Judged by tokens actually served, the bandit
     * does at least as well as the best fixed policy (within 1%) and far better than never updating.
     */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void inADriftingDeploymentServesAsManyTokensAsTheBestFixedPolicy(long seed) {
        int n = 1000;
        SimulatedEnvironment env = SimulatedEnvironment.builder(seed).build();
        CostAwareBandit b = bandit(BanditConfig.defaults(seed));
        double maxDrift = 0;
        for (int i = 0; i < n; i++) {
            Decision d = b.decide("d", env.context());
            maxDrift = Math.max(maxDrift, d.context().driftScore());
            b.realise(d.id(), env.step(d.arm()));
        }
        SimulatedEnvironment neverEnv = SimulatedEnvironment.builder(seed).build();
        for (int i = 0; i < n; i++) {
            neverEnv.step(Arm.WAIT);
        }
        double never = neverEnv.servedTokens();
        double small = fixedPolicy(seed, Arm.UPDATE_SMALL, n);
        double large = fixedPolicy(seed, Arm.UPDATE_LARGE, n);
        double best = Math.max(never, Math.max(small, large));
        assertThat(env.servedTokens()).isGreaterThanOrEqualTo(0.99 * best);
        assertThat(env.servedTokens()).isGreaterThan(3 * never);
        assertThat(env.costModel().observations()).as("update durations were measured").isPositive();
        assertThat(env.costModel().secondsPerStep()).as("learned true 1.0 s/step from a 0.5 prior")
                .isBetween(0.8, 1.2);
        assertThat(maxDrift).as("the drift signal reached the bandit").isPositive();
        assertThat(neverEnv.driftDetector().alarmed()).as("left alone, the decline sets off the detector").isTrue();
    }

    private static double fixedPolicy(long seed, Arm arm, int n) {
        SimulatedEnvironment env = SimulatedEnvironment.builder(seed).build();
        for (int i = 0; i < n; i++) {
            env.step(arm);
        }
        return env.servedTokens();
    }
}
