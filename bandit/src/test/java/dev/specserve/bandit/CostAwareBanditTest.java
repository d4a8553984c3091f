package dev.specserve.bandit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** The bandit's rules and protocol, before and independent of learning. */
class CostAwareBanditTest {

    static final Clock CLOCK = Clock.fixed(Instant.ofEpochMilli(1_700_000_000_000L), ZoneOffset.UTC);

    static CostAwareBandit bandit(long seed) {
        return new CostAwareBandit(BanditConfig.defaults(seed), CLOCK, "run1");
    }

    /** τ fell from 3.6 to 3.0, 500 fresh samples, moderate load, horizon load 80 rounds/s. */
    static DecisionContext.Builder drifted() {
        return DecisionContextTest.typical().horizonRoundsPerSecond(80);
    }

    static DecisionContext lull(DecisionContext.Builder b) {
        return b.roundsPerSecond(20).batchOccupancy(0.1).queueDepth(0).build();
    }

    static DecisionContext highLoad(DecisionContext.Builder b) {
        return b.roundsPerSecond(120).batchOccupancy(1.0).queueDepth(8).build();
    }

    @Test
    void predictedGainIsDeltaTauTimesHorizonThroughputAfterTheUpdate() {
        Decision d = bandit(1).decide("d", drifted().build());
        // UPDATE_SMALL: 8 steps, 256-sample budget: Δτ = 0.6 × (1 − e^(−8/32)) × 256/(256+256)
        double dTau = 0.6 * (1 - Math.exp(-8 / 32.0)) * 0.5;
        double updateSeconds = 2.0 + 8 * 1.0;
        double gain = dTau * 80 * (300 - updateSeconds - 0.5);
        assertThat(d.estimate("UPDATE_SMALL").predictedGain()).isCloseTo(gain, within(1e-9));
        // UPDATE_LARGE: 32 steps on all 500 samples
        double dTauLarge = 0.6 * (1 - Math.exp(-1)) * 500 / 756.0;
        assertThat(d.estimate("UPDATE_LARGE").predictedGain())
                .isCloseTo(dTauLarge * 80 * (300 - 34 - 0.5), within(1e-9));
        assertThat(d.estimate("WAIT").predictedGain()).isZero();
    }

    @Test
    void predictedCostIsUpdateTimeTimesCapacityTakenAtTheCurrentLoadPlusTheSwap() {
        Decision d = bandit(1).decide("d", drifted().build());
        double capacity = 3.0 * 80;                // τ × horizon rounds/s: what the engine serves at saturation
        double pressure = 0.6 + 2 / 8.0;           // occupancy + queue / saturation depth
        double cost = capacity * (0.5 * pressure * 10.0 + 0.5);
        assertThat(d.estimate("UPDATE_SMALL").predictedCost()).isCloseTo(cost, within(1e-9));
        assertThat(d.estimate("WAIT").predictedCost()).isZero();
    }

    @Test
    void anUpdateCostsMoreUnderHighLoadThanDuringALullWhileItsGainIsTheSame() {
        Decision atLull = bandit(1).decide("d", lull(drifted()));
        Decision atPeak = bandit(1).decide("d", highLoad(drifted()));
        for (Arm arm : List.of(Arm.UPDATE_SMALL, Arm.UPDATE_LARGE)) {
            assertThat(atLull.estimate(arm.name()).predictedGain())
                    .isCloseTo(atPeak.estimate(arm.name()).predictedGain(), within(1e-9));
            // priced at capacity, so load enters through the share training takes (pressure 1.0 vs 0.1)
            assertThat(atPeak.estimate(arm.name()).predictedCost())
                    .isGreaterThan(4 * atLull.estimate(arm.name()).predictedCost());
        }
    }

    @Test
    void withTheSameGainItUpdatesDuringALullButNotUnderHighLoad() {
        int lullUpdates = 0;
        for (long seed = 1; seed <= 200; seed++) {
            // 2 s per step: at full load training takes more capacity than the update wins back
            Decision atPeak = strict(seed).decide("d", highLoad(drifted().secondsPerStep(2.0)));
            assertThat(atPeak.arm()).isEqualTo(Arm.WAIT);
            assertThat(atPeak.reason()).isEqualTo(Decision.Reason.NO_PROFITABLE_UPDATE);
            Decision atLull = strict(seed).decide("d", lull(drifted().secondsPerStep(2.0)));
            assertThat(atLull.reason()).isEqualTo(Decision.Reason.THOMPSON_SAMPLE);
            if (atLull.isUpdate()) {
                lullUpdates++;
            }
        }
        // before any data this is Thompson sampling from the prior around a positive structural value
        assertThat(lullUpdates).as("updates out of 200 fresh bandits at a lull").isGreaterThanOrEqualTo(140);
    }

    @Test
    void neverUpdatesWithoutFreshSamplesHoweverLargeTheGap() {
        for (long seed = 1; seed <= 100; seed++) {
            DecisionContext ctx = lull(drifted().tauNow(1.0).tauAfterLastUpdate(5.0).driftScore(3).freshSamples(0));
            Decision d = bandit(seed).decide("d", ctx);
            assertThat(d.arm()).isEqualTo(Arm.WAIT);
            assertThat(d.reason()).isEqualTo(Decision.Reason.NO_FRESH_SAMPLES);
            assertThat(d.estimates()).filteredOn(e -> !e.arm().isWait()).noneMatch(Decision.ArmEstimate::eligible);
        }
    }

    @Test
    void withoutAnExplorationBudgetItNeverUpdatesWhenPredictedGainDoesNotExceedPredictedCost() {
        for (long seed = 1; seed <= 100; seed++) {
            // acceptance at or above its post-update level: nothing to win back
            Decision noGap = strict(seed).decide("d", lull(drifted().tauNow(3.7)));
            assertThat(noGap.arm()).isEqualTo(Arm.WAIT);
            assertThat(noGap.reason()).isEqualTo(Decision.Reason.NO_PROFITABLE_UPDATE);
            // a small gap at full load: something to win back, but less than it costs
            Decision d = strict(seed).decide("d", highLoad(drifted().tauNow(3.5)));
            for (Decision.ArmEstimate e : d.estimates()) {
                if (!e.arm().isWait()) {
                    assertThat(e.predictedGain()).isPositive().isLessThan(e.predictedCost());
                    assertThat(e.eligible()).isFalse();
                }
            }
            assertThat(d.arm()).isEqualTo(Arm.WAIT);
        }
    }

    @Test
    void updatesBecomeEligibleExactlyAtMinFreshSamples() {
        BanditConfig cfg = BanditConfig.defaults(7);
        BanditConfig strictAt400 = cfg.withTuning(cfg.tuning().withExploration(0, 1).withMinFreshSamples(400));
        for (long seed = 1; seed <= 20; seed++) {
            Decision below = new CostAwareBandit(strictAt400.withSeed(seed), CLOCK, "run1")
                    .decide("d", lull(drifted().freshSamples(399)));
            Decision at = new CostAwareBandit(strictAt400.withSeed(seed), CLOCK, "run1")
                    .decide("d", lull(drifted().freshSamples(400)));

            assertThat(below.arm()).isEqualTo(Arm.WAIT);
            assertThat(below.reason()).isEqualTo(Decision.Reason.NO_FRESH_SAMPLES);
            assertThat(below.estimates()).filteredOn(e -> !e.arm().isWait()).noneMatch(Decision.ArmEstimate::eligible);
            assertThat(at.reason()).isNotEqualTo(Decision.Reason.NO_FRESH_SAMPLES);
            assertThat(at.estimates()).filteredOn(e -> !e.arm().isWait()).allMatch(Decision.ArmEstimate::eligible);
        }
    }

    @Test
    void anUpdateThatWinsBackExactlyWhatItCostsIsNotMade() {
        // no swap stall, an idle engine (training takes nothing) and no acceptance to win back: gain = cost = 0
        BanditConfig free = new BanditConfig(Arm.defaults(), 300.0, 0.0, 0.01, 0.01, 1);
        for (long seed = 1; seed <= 100; seed++) {
            CostAwareBandit b = new CostAwareBandit(free.withSeed(seed).withTuning(
                    free.tuning().withExploration(0, 1)), CLOCK, "run1");
            Decision d = b.decide("d", drifted().tauNow(3.6).roundsPerSecond(20).batchOccupancy(0).queueDepth(0).build());

            for (Decision.ArmEstimate e : d.estimates()) {
                if (!e.arm().isWait()) {
                    assertThat(e.predictedGain()).isZero();
                    assertThat(e.predictedCost()).isZero();
                    assertThat(e.eligible()).as("%s with gain = cost", e.arm()).isFalse();
                }
            }
            assertThat(d.arm()).isEqualTo(Arm.WAIT);
            assertThat(d.reason()).isEqualTo(Decision.Reason.NO_PROFITABLE_UPDATE);
        }
    }

    /** A bandit that never explores: an update must pay by the cost model or the learned model. */
    static CostAwareBandit strict(long seed) {
        BanditConfig cfg = BanditConfig.defaults(seed);
        return new CostAwareBandit(cfg.withTuning(cfg.tuning().withExploration(0, 1)), CLOCK, "run1");
    }

    @Test
    void exploratoryUpdatesStayWithinTheBudget() {
        // no gap at a lull: the cost model predicts no gain, so every update is exploratory
        BanditConfig cfg = BanditConfig.defaults(4);
        CostAwareBandit b = new CostAwareBandit(cfg.withTuning(cfg.tuning().withExploration(0.05, 10)), CLOCK, "r");
        long lastExplore = -100;
        int explored = 0;
        double sdBefore = b.decide("probe", lull(drifted().tauNow(3.7))).estimate("UPDATE_SMALL").posteriorSd();
        for (int i = 1; i <= 400; i++) {
            Decision d = b.decide("d", lull(drifted().tauNow(3.7)));
            if (d.isUpdate()) {
                assertThat(d.reason()).isEqualTo(Decision.Reason.EXPLORATION);
                assertThat(d.predictedCost()).isLessThanOrEqualTo(0.05 * d.rewardScale());
                assertThat(d.epoch() - lastExplore).as("spacing").isGreaterThanOrEqualTo(10L * explored);
                lastExplore = d.epoch();
                explored++;
            }
            // exploring shows the truth: an update wins nothing back and costs what was predicted
            b.realise(d.id(), d.isUpdate() ? -d.predictedCost() : 0.0);
        }
        assertThat(explored).as("explored at all, within one per spacing").isPositive().isLessThanOrEqualTo(9);
        // what exploring taught: the update arm's prediction is narrower than the prior's
        Decision last = b.decide("d", lull(drifted().tauNow(3.7)));
        assertThat(last.estimate("UPDATE_SMALL").posteriorSd()).isLessThan(0.5 * sdBefore);
    }

    @Test
    void beforeAnyDataThePosteriorMeanIsTheStructuralPrior() {
        Decision d = bandit(3).decide("d", lull(drifted()));
        for (Decision.ArmEstimate e : d.estimates()) {
            assertThat(e.posteriorMean()).isCloseTo(e.structuralValue(), within(1e-9));
            assertThat(e.advantage()).isCloseTo(e.arm().isWait() ? 0 : e.structuralValue(), within(1e-9));
            assertThat(e.posteriorSd()).isPositive();
        }
        assertThat(d.posteriorMeans()).containsOnlyKeys("WAIT", "UPDATE_SMALL", "UPDATE_LARGE");
    }

    @Test
    void realisedRewardsBelowThePredictionTeachItToStopUpdating() {
        // rewards here are exact, and the bandit is told so (noise sd 1% of a horizon's tokens)
        CostAwareBandit b = new CostAwareBandit(
                new BanditConfig(Arm.defaults(), 300, 0.5, 0.01, 1e-4, 5), CLOCK, "run1");
        DecisionContext ctx = drifted().build(); // moderate load: an update costs 1.6-5% of the horizon's tokens
        double before = b.decide("probe", ctx).estimate("UPDATE_LARGE").posteriorMean();
        int updates = 0;
        for (int i = 0; i < 300; i++) {
            Decision d = b.decide("d", ctx);
            if (d.isUpdate()) {
                updates++;
            }
            // waiting is neutral, an update realises only its cost: the gain never comes
            b.realise(d.id(), d.isUpdate() ? -d.predictedCost() : 0.0);
        }
        Decision last = b.decide("d", ctx);
        assertThat(last.estimate("UPDATE_LARGE").posteriorMean())
                .isLessThan(0)
                .isLessThan(before);
        int lateUpdates = 0;
        for (int i = 0; i < 100; i++) {
            Decision d = b.decide("d", ctx);
            if (d.isUpdate()) {
                lateUpdates++;
            }
            b.realise(d.id(), d.isUpdate() ? -d.predictedCost() : 0.0);
        }
        assertThat(updates).as("it tried").isGreaterThanOrEqualTo(3);
        assertThat(lateUpdates).as("then it stopped").isLessThanOrEqualTo(5);
    }

    @Test
    void everyDecisionAndItsRealisationReachTheListenersWithTheSameId() {
        CostAwareBandit b = bandit(1);
        List<Decision> decided = Collections.synchronizedList(new ArrayList<>());
        List<Decision> realised = Collections.synchronizedList(new ArrayList<>());
        b.addListener(new DecisionLog() {
            @Override
            public void onDecision(Decision d) {
                decided.add(d);
            }

            @Override
            public void onRealised(Decision d) {
                realised.add(d);
            }
        });
        Decision d = b.decide("drafter-7", lull(drifted()));
        assertThat(decided).containsExactly(d);
        assertThat(d.id()).isEqualTo("run1:drafter-7:1");
        assertThat(d.decidedAtMillis()).isEqualTo(1_700_000_000_000L);
        assertThat(d.isRealised()).isFalse();
        assertThat(b.pendingCount()).isEqualTo(1);

        b.realise(d.id(), 1234.0);
        assertThat(realised).hasSize(1);
        Decision r = realised.get(0);
        assertThat(r.id()).isEqualTo(d.id());
        assertThat(r.realisedReward()).hasValue(1234.0);
        assertThat(r.withRealised(0).arm()).isEqualTo(d.arm());
        assertThat(b.pendingCount()).isZero();
        assertThat(b.observations("drafter-7")).isEqualTo(1);
        DecisionTest.assertJsonable(r.toMap(), "$");
    }

    @Test
    void aDecisionWhoseRewardCannotBeMeasuredIsAbandonedTeachingNothing() {
        CostAwareBandit b = bandit(1);
        Decision d = b.decide("drafter-7", lull(drifted()));

        assertThat(b.abandon(d.id())).isTrue();

        assertThat(b.pendingCount()).isZero();
        assertThat(b.observations("drafter-7")).isZero();
        assertThat(b.expiredCount()).as("not an expiry").isZero();
        assertThat(b.abandon(d.id())).as("once").isFalse();
        assertThatThrownBy(() -> b.realise(d.id(), 1.0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void decisionIdsAreUniqueAcrossDraftersAndEpochs() {
        CostAwareBandit b = bandit(1);
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            for (String drafter : List.of("a", "b", "c")) {
                Decision d = b.decide(drafter, drifted().build());
                assertThat(ids.add(d.id())).isTrue();
                assertThat(d.epoch()).isEqualTo(i + 1);
            }
        }
    }

    @Test
    void realiseRejectsUnknownRepeatedAndNonFiniteRewards() {
        CostAwareBandit b = bandit(1);
        Decision d = b.decide("d", drifted().build());
        assertThatThrownBy(() -> b.realise(d.id(), Double.NaN)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.realise("nope", 1.0)).isInstanceOf(IllegalArgumentException.class);
        b.realise(d.id(), 1.0);
        assertThatThrownBy(() -> b.realise(d.id(), 1.0)).hasMessageContaining("already realised");
        assertThatThrownBy(() -> b.decide(" ", drifted().build())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aFailingListenerHarmsNeitherTheBanditNorOtherListeners() {
        CostAwareBandit b = bandit(1);
        List<String> seen = new ArrayList<>();
        b.addListener(d -> {
            throw new IllegalStateException("broker down");
        });
        b.addListener(d -> seen.add(d.id()));
        Decision d = b.decide("d", drifted().build());
        b.realise(d.id(), 5.0);
        assertThat(seen).containsExactly(d.id());
        assertThat(b.observations("d")).isEqualTo(1);
    }

    @Test
    void theSameSeedAndInputsGiveTheSameDecisions() {
        CostAwareBandit one = bandit(42);
        CostAwareBandit two = bandit(42);
        for (int i = 0; i < 100; i++) {
            DecisionContext ctx = lull(drifted().freshSamples(100 + i));
            Decision a = one.decide("d", ctx);
            Decision b = two.decide("d", ctx);
            assertThat(b.arm()).isEqualTo(a.arm());
            assertThat(b.estimates()).isEqualTo(a.estimates());
            one.realise(a.id(), i % 7 * 100.0);
            two.realise(b.id(), i % 7 * 100.0);
        }
    }

    @Test
    void eachDrafterLearnsOnItsOwn() {
        CostAwareBandit b = bandit(1);
        for (int i = 0; i < 20; i++) {
            Decision d = b.decide("a", lull(drifted()));
            b.realise(d.id(), -50_000);
        }
        Decision fresh = b.decide("b", lull(drifted()));
        assertThat(b.observations("a")).isEqualTo(20);
        assertThat(b.observations("b")).isZero();
        for (Decision.ArmEstimate e : fresh.estimates()) {
            assertThat(e.posteriorMean()).isCloseTo(e.structuralValue(), within(1e-9));
        }
        Decision pendingForA = b.decide("a", lull(drifted()));
        b.forget("a");
        assertThat(b.observations("a")).isZero();
        assertThatThrownBy(() -> b.realise(pendingForA.id(), 1.0))
                .as("what was pending for the forgotten model is dropped").isInstanceOf(IllegalArgumentException.class);
        Decision afterForget = b.decide("a", lull(drifted()));
        assertThat(afterForget.epoch()).as("ids never repeat").isEqualTo(22);
        for (Decision.ArmEstimate e : afterForget.estimates()) {
            assertThat(e.posteriorMean()).isCloseTo(e.structuralValue(), within(1e-9));
        }
    }

    @Test
    void unrealisedDecisionsAreBoundedOldestFirst() {
        BanditConfig cfg = BanditConfig.defaults(1);
        CostAwareBandit b = new CostAwareBandit(cfg.withTuning(cfg.tuning().withMaxPending(3)), CLOCK, "r");
        List<Decision> ds = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ds.add(b.decide("d", drifted().build()));
        }
        assertThat(b.pendingCount()).isEqualTo(3);
        assertThat(b.expiredCount()).isEqualTo(2);
        assertThatThrownBy(() -> b.realise(ds.get(0).id(), 1.0)).isInstanceOf(IllegalArgumentException.class);
        b.realise(ds.get(4).id(), 1.0);
        assertThat(b.pendingCount()).isEqualTo(2);
    }

    @Test
    void aConfigurableArmSetIsHonoured() {
        List<Arm> arms = List.of(new Arm("TINY", 2, 64), Arm.WAIT, new Arm("MID", 16), new Arm("HUGE", 128));
        CostAwareBandit b = new CostAwareBandit(new BanditConfig(arms, 600, 1.0, 0.01, 0.01, 9), CLOCK, "r");
        assertThat(b.featureDimension()).isEqualTo(6 + 5 * 3);
        Decision d = b.decide("d", lull(drifted()));
        assertThat(d.estimates()).extracting(e -> e.arm().name()).containsExactly("TINY", "WAIT", "MID", "HUGE");
        assertThat(arms).contains(d.arm());
        assertThat(d.estimate("HUGE").predictedCost()).isGreaterThan(d.estimate("TINY").predictedCost());
        Decision none = b.decide("d", lull(drifted().freshSamples(0)));
        assertThat(none.arm().name()).isEqualTo("WAIT");
    }

    @Test
    void withoutAHorizonForecastItForecastsLoadFromWhatItHasSeen() {
        CostAwareBandit b = bandit(1);
        DecisionContext.Builder noForecast = DecisionContextTest.typical();
        Decision first = b.decide("d", noForecast.roundsPerSecond(100).build());
        assertThat(first.forecastRoundsPerSecond()).isEqualTo(100);
        Decision second = b.decide("d", noForecast.roundsPerSecond(0).build());
        assertThat(second.forecastRoundsPerSecond()).as("EWMA with weight 0.1").isCloseTo(90, within(1e-9));
        assertThat(second.estimate("UPDATE_SMALL").predictedGain()).isPositive();
        // priced at the forecast capacity (τ × 90 rounds/s), whatever is served this instant
        assertThat(second.estimate("UPDATE_SMALL").predictedCost())
                .isCloseTo(3.0 * 90 * (0.5 * 0.85 * 10.0 + 0.5), within(1e-9));
    }

    @Test
    void concurrentDecideAndRealiseAreSafe() throws Exception {
        CostAwareBandit b = bandit(1);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> futures = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                String drafter = "d" + (t % 2);
                futures.add(pool.submit(() -> {
                    int n = 0;
                    for (int i = 0; i < 200; i++) {
                        Decision d = b.decide(drafter, lull(drifted()));
                        b.realise(d.id(), d.isUpdate() ? 100.0 : 0.0);
                        n++;
                    }
                    return n;
                }));
            }
            int total = 0;
            for (Future<Integer> f : futures) {
                total += f.get(30, TimeUnit.SECONDS);
            }
            assertThat(total).isEqualTo(800);
            assertThat(b.pendingCount()).isZero();
            assertThat(b.observations("d0") + b.observations("d1")).isEqualTo(800);
        } finally {
            pool.shutdownNow();
        }
    }
}
