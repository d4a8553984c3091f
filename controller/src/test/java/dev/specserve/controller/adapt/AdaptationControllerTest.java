package dev.specserve.controller.adapt;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.bandit.BanditConfig;
import dev.specserve.bandit.CostAwareBandit;
import dev.specserve.drafters.Adapter;
import dev.specserve.drafters.DrafterVersions;
import dev.specserve.drafters.update.AdapterTrainer;
import dev.specserve.drafters.update.DrafterUpdater;
import dev.specserve.drafters.update.LmHead;
import dev.specserve.telemetry.RoundEvent;
import dev.specserve.telemetry.TrainingSample;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The loop from feedback to hot swap, driven by synthetic feedback: a drifted drafter whose verifier labels
 * come from a learnable shift of its hidden states.
 */
class AdaptationControllerTest {
    static final int VOCAB = 40;
    static final int DIM = 12;
    static final int RANK = 3;
    static final String DRAFTER = "demo/drafter";

    final LmHead head = head();
    final Adapter truth = new Adapter(RANK, DIM, AdapterTrainer.initial(RANK, DIM, 99).a(),
            scale(AdapterTrainer.initial(RANK, DIM, 98).a(), 3f));
    final DrafterVersions versions = new DrafterVersions(Adapter.zero(RANK, DIM));

    AdaptationController controller(AdaptationController.Settings settings) {
        DrafterUpdater updater = new DrafterUpdater(versions, head, 3e-2, 32, 0.01);
        CostAwareBandit bandit = new CostAwareBandit(BanditConfig.defaults(3));
        return new AdaptationController(settings, versions, updater, bandit,
                () -> new AdaptationController.Load(0, 0), 4, null, "test");
    }

    @Test
    void afterAnAcceptanceDropWithFreshLabelsTheLoopTrainsShadowChecksAndSwapsInANewVersion() throws Exception {
        var settings = new AdaptationController.Settings(DRAFTER, Duration.ofHours(1), Duration.ofMillis(400), 8, 0.5, 1);
        try (AdaptationController c = controller(settings)) {
            rounds(c, 1, 64, 3);          // the drafter's level before the drift
            c.epoch();
            Thread.sleep(450);
            rounds(c, 1, 64, 0);          // drift: acceptance collapses
            samples(c, 120);              // verifier labels keep arriving

            for (int i = 0; i < 20 && versions.current().id() == 1; i++) {
                c.epoch();
                for (int w = 0; w < 200 && c.training(); w++) {
                    Thread.sleep(25);      // updates train on their own executor, off the decision thread
                }
            }

            assertThat(versions.current().id()).as("a new version is in use").isGreaterThan(1);
            assertThat(versions.current().parentId()).isEqualTo(1);
            assertThat(versions.current().metrics()).containsKey("shadow_agreement_after");
        }
    }

    @Test
    void aSwapWhoseLiveAcceptanceFallsBelowThePreSwapLevelIsRolledBack() {
        var settings = new AdaptationController.Settings(DRAFTER, Duration.ofHours(1), Duration.ofSeconds(30), 8, 0.5, 1);
        try (AdaptationController c = controller(settings)) {
            rounds(c, 1, 32, 3);                      // live level before the swap: 3 accepted per round
            var v2 = versions.create(AdapterTrainer.initial(RANK, DIM, 5), 1, java.util.Map.of());
            c.swapIn(v2, "test");
            rounds(c, v2.id(), 4, 3);
            assertThat(versions.current().id()).as("still within the margin").isEqualTo(v2.id());

            rounds(c, v2.id(), 8, 1);                 // the new version accepts far less

            assertThat(versions.current().id()).as("rolled back to the parent").isEqualTo(1);
            assertThat(c.activity().rollbacks()).isEqualTo(1);
        }
    }

    @Test
    void theBaselineIsTheRoundsJustBeforeTheSwapSoAnUpdateFollowingADriftIsKept() {
        var settings = new AdaptationController.Settings(DRAFTER, Duration.ofHours(1), Duration.ofSeconds(30), 8, 0.5, 1);
        try (AdaptationController c = controller(settings)) {
            rounds(c, 1, 200, 3);                     // domain A: 3 accepted per round, most of the window
            rounds(c, 1, 16, 1);                      // drift: the old version now accepts 1
            var v2 = versions.create(AdapterTrainer.initial(RANK, DIM, 5), 1, java.util.Map.of());
            c.swapIn(v2, "test");

            rounds(c, v2.id(), 8, 1);                 // the update serves the new traffic no worse

            assertThat(versions.current().id()).as("kept: judged against the drifted level, not the window's mean")
                    .isEqualTo(v2.id());
            assertThat(c.activity().rollbacks()).isZero();
        }
    }

    @Test
    void anOperatorRollbackReturnsToTheParent() {
        var settings = new AdaptationController.Settings(DRAFTER, Duration.ofHours(1), Duration.ofSeconds(30), 8, 0.5, 1);
        try (AdaptationController c = controller(settings)) {
            var v2 = versions.create(AdapterTrainer.initial(RANK, DIM, 5), 1, java.util.Map.of());
            versions.activate(v2);

            assertThat(c.rollback("operator request")).isPresent();
            assertThat(versions.current().id()).isEqualTo(1);
        }
    }

    @Test
    void aRollbackDuringTrainingNeitherWaitsForItNorIsUndoneByItsSwap() throws Exception {
        var settings = new AdaptationController.Settings(DRAFTER, Duration.ofHours(1), Duration.ofSeconds(30), 8, 0.5, 1);
        try (AdaptationController c = controller(settings)) {
            var v2 = versions.create(AdapterTrainer.initial(RANK, DIM, 5), 1, java.util.Map.of());
            versions.activate(v2);
            samples(c, 120);
            Thread training = new Thread(() -> c.updateNow(80_000, 0)); // seconds here: long enough to roll back during it
            training.start();
            Thread.sleep(200);
            assertThat(training.isAlive()).as("still training").isTrue();

            long t0 = System.nanoTime();
            c.rollback("operator request");
            long waitedMs = (System.nanoTime() - t0) / 1_000_000;
            training.join();

            assertThat(waitedMs).as("the rollback did not wait for the training").isLessThan(1_000);
            assertThat(versions.current().id()).as("the candidate trained from version 2 is dropped").isEqualTo(1);
        }
    }

    @Test
    void aRoundStampedFarAheadOfThisClockIsCountedAndLeftOutOfEventTime() {
        var settings = new AdaptationController.Settings(DRAFTER, Duration.ofHours(1), Duration.ofSeconds(30), 8, 0.5, 1);
        try (AdaptationController c = controller(settings)) {
            long now = System.currentTimeMillis();
            roundsAt(c, now, 16, 3, 1000);
            roundsAt(c, now + Duration.ofHours(3).toMillis(), 1, 3, 1000); // a replica whose clock jumped

            assertThat(c.dropped().futureRounds()).isEqualTo(1);
            roundsAt(c, now + 100, 16, 3, 1000);
            assertThat(c.dropped().futureRounds()).as("rounds on time still count").isEqualTo(1);
        }
    }

    @Test
    void labelsDraftedByAnotherDrafterFileAreNotTrainedOn() {
        var settings = new AdaptationController.Settings(DRAFTER, Duration.ofHours(1), Duration.ofSeconds(30), 8, 0.5, 1);
        try (AdaptationController c = controller(settings)) {
            samples(c, 10);
            long before = c.samplesSeen();
            var newFile = versions.createWithModel(FleetUpdatesTest.handle("other"), Adapter.zero(RANK, DIM), 1,
                    java.util.Map.of());
            c.swapIn(newFile, "new drafter file");

            samples(c, 10);                           // still tagged with version 1, the old file

            assertThat(c.samplesSeen()).as("nothing new buffered").isEqualTo(before);
            assertThat(c.dropped().staleSamples()).isEqualTo(10);
        }
    }

    @Test
    void aPausedLoopMakesNoDecisions() {
        var settings = AdaptationController.Settings.defaults(DRAFTER);
        try (AdaptationController c = controller(settings)) {
            rounds(c, 1, 16, 2);
            c.pause();
            assertThat(c.epoch()).isEmpty();
            c.resume();
            assertThat(c.epoch()).isPresent();
        }
    }

    @Test
    void noDecisionIsMadeUntilTheFleetsVersionsHaveBeenRead() {
        var settings = AdaptationController.Settings.defaults(DRAFTER);
        try (AdaptationController c = controller(settings)) {
            java.util.concurrent.atomic.AtomicBoolean caughtUp = new java.util.concurrent.atomic.AtomicBoolean();
            c.decideOnlyWhen(caughtUp::get);
            rounds(c, 1, 16, 2);
            assertThat(c.epoch()).as("still reading the updates topic").isEmpty();
            caughtUp.set(true);
            assertThat(c.epoch()).isPresent();
        }
    }

    @Test
    void aWaitIsRewardedWithTheChangeInCapacityOverItsOwnEpochInEventTime() throws Exception {
        List<dev.specserve.bandit.Decision> realised = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (AdaptationController c = hourlyController(realised)) {
            long t0 = System.currentTimeMillis() - 60_000;
            // a minute ago: 3 tokens per round at 2 µs busy per round; the rounds are stamped when they happened
            roundsAt(c, t0, 20, 2, 2000);
            var first = c.epoch().orElseThrow();
            assertThat(first.isUpdate()).isFalse();
            roundsAt(c, System.currentTimeMillis() + 1, 20, 2, 1000); // same tokens, half the busy time
            Thread.sleep(50);
            c.epoch();                // the next decision ends the wait's epoch
            roundsAt(c, System.currentTimeMillis() + 5_000, 1, 2, 1000); // the watermark moves past the window
            c.realiseReady();         // its rounds have arrived: the reward is realised
            var reward = realised.stream().filter(d -> d.id().equals(first.id())).findFirst().orElseThrow();
            var inputs = dev.specserve.bandit.Reward.fromMap(reward.rewardInputs());
            assertThat(inputs.capacityBefore()).isCloseTo(3 / 2e-6, org.assertj.core.api.Assertions.within(1.0));
            assertThat(inputs.capacityAfter()).isCloseTo(3 / 1e-6, org.assertj.core.api.Assertions.within(1.0));
            assertThat(reward.realisedReward().getAsDouble()).isCloseTo(inputs.value(),
                    org.assertj.core.api.Assertions.within(1e-6));
        }
    }

    /** The replicas' clock is not this process's: decisions are stamped on theirs, as their rounds are. */
    @Test
    void rewardsAreMeasuredOnTheReplicasClockHoweverFarThisProcesssOwnIsFromIt() throws Exception {
        List<dev.specserve.bandit.Decision> realised = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (AdaptationController c = hourlyController(realised)) {
            long replicas = System.currentTimeMillis() - 3_600_000; // the fleet's clock: an hour behind this one
            roundsAt(c, replicas, 20, 2, 2000);
            var first = c.epoch().orElseThrow();
            c.realiseReady(); // the loop asks every second: nothing has happened after the decision yet
            roundsAt(c, replicas + 1_000, 20, 2, 1000); // same tokens, half the busy time
            c.realiseReady();
            c.epoch();
            c.realiseReady();
            roundsAt(c, replicas + 10_000, 1, 2, 1000); // the watermark moves past the window
            c.realiseReady();

            var reward = realised.stream().filter(d -> d.id().equals(first.id())).findFirst();
            assertThat(reward).as("measured, not abandoned as a window with no rounds").isPresent();
            var inputs = dev.specserve.bandit.Reward.fromMap(reward.get().rewardInputs());
            assertThat(inputs.capacityBefore()).isCloseTo(3 / 2e-6, org.assertj.core.api.Assertions.within(1.0));
            assertThat(inputs.capacityAfter()).isCloseTo(3 / 1e-6, org.assertj.core.api.Assertions.within(1.0));
        }
    }

    /** A controller deciding only when asked (hourly epochs), whose bandit hands realised decisions to {@code realised}. */
    AdaptationController hourlyController(List<dev.specserve.bandit.Decision> realised) {
        var settings = new AdaptationController.Settings(DRAFTER, Duration.ofHours(1), Duration.ofSeconds(30), 8, 0.5, 1);
        CostAwareBandit bandit = new CostAwareBandit(BanditConfig.defaults(3));
        bandit.addListener(new dev.specserve.bandit.DecisionLog() {
            @Override
            public void onDecision(dev.specserve.bandit.Decision d) {}

            @Override
            public void onRealised(dev.specserve.bandit.Decision d) {
                realised.add(d);
            }
        });
        return new AdaptationController(settings, versions, new DrafterUpdater(versions, head, 3e-2, 32, 0.01), bandit,
                () -> new AdaptationController.Load(0, 0), 4, null, "test");
    }

    void roundsAt(AdaptationController c, long atMs, int n, int accepted, long busyNanos) {
        for (int i = 0; i < n; i++) {
            List<Boolean> perDepth = new ArrayList<>();
            for (int d = 0; d < 4; d++) {
                perDepth.add(d < accepted);
            }
            c.onRound(new RoundEvent(atMs + i, "test", "r" + i, i, "specblock", DRAFTER, 1, 8, 4,
                    accepted, perDepth, busyNanos / 2, busyNanos / 2, null));
        }
    }

    void rounds(AdaptationController c, long version, int n, int accepted) {
        for (int i = 0; i < n; i++) {
            List<Boolean> perDepth = new ArrayList<>();
            for (int d = 0; d < 4; d++) {
                perDepth.add(d < accepted);
            }
            c.onRound(new RoundEvent(System.currentTimeMillis(), "test", "r" + i, i, "specblock", DRAFTER, version, 8, 4,
                    accepted, perDepth, 1000, 1000, null));
        }
    }

    void samples(AdaptationController c, int n) {
        SplittableRandom rng = new SplittableRandom(3);
        for (int i = 0; i < n; i++) {
            int nodes = 5;
            float[] hidden = new float[nodes * DIM];
            int[] tokens = new int[nodes];
            for (int k = 0; k < nodes; k++) {
                float[] h = new float[DIM];
                for (int j = 0; j < DIM; j++) {
                    h[j] = (float) rng.nextGaussian();
                }
                System.arraycopy(h, 0, hidden, k * DIM, DIM);
                tokens[k] = label(h);
            }
            c.onSample(new TrainingSample("req" + i, 0, DRAFTER, 1, DIM, hidden, tokens,
                    new boolean[] {true, true, true, true, true}, new int[] {1, 2, 3, 4, 5}));
        }
    }

    int label(float[] h) {
        float[] u = new float[RANK];
        for (int i = 0; i < RANK; i++) {
            for (int j = 0; j < DIM; j++) {
                u[i] += truth.a()[i * DIM + j] * h[j];
            }
        }
        float[] shifted = h.clone();
        for (int j = 0; j < DIM; j++) {
            for (int i = 0; i < RANK; i++) {
                shifted[j] += truth.b()[j * RANK + i] * u[i];
            }
        }
        float[] logits = new float[VOCAB];
        head.project(shifted, logits);
        int best = 0;
        for (int v = 1; v < VOCAB; v++) {
            best = logits[v] > logits[best] ? v : best;
        }
        return best;
    }

    static LmHead head() {
        SplittableRandom rng = new SplittableRandom(11);
        float[] w = new float[VOCAB * DIM];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rng.nextGaussian();
        }
        return new LmHead(VOCAB, DIM, w);
    }

    static float[] scale(float[] v, float k) {
        float[] out = v.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] *= k;
        }
        return out;
    }
}
