package dev.specserve.bandit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;

/**
 * A bandit's decisions can be made again from its log alone: the configuration, the run id, and every
 * decide (drafter, context) and realise (decision id, reward) call with its sequence number.
 */
class DecisionReplayTest {

    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochMilli(1_700_000_000_000L), ZoneOffset.UTC);
    private static final String RUN = "live-1";

    /** A live run: one bandit, two drafters drifting in their own simulated deployments, rewards 3 epochs late. */
    record LiveRun(CostAwareBandit bandit, List<Decision> decisions, List<DecisionReplay.Step> steps,
                   int refusedRewards) {}

    static BanditConfig config() {
        return BanditConfig.defaults(42).withTuning(BanditConfig.defaults(42).tuning().withMaxPending(64));
    }

    static LiveRun live(int epochs, Consumer<CostAwareBandit> betweenEpochs) {
        CostAwareBandit bandit = new CostAwareBandit(config(), CLOCK, RUN);
        DecisionReplay.Recorder log = new DecisionReplay.Recorder();
        bandit.addListener(log);
        SimulatedEnvironment a = SimulatedEnvironment.builder(1).driftPerEpoch(0.08).build();
        SimulatedEnvironment b = SimulatedEnvironment.builder(2).driftPerEpoch(0.03).constantLoad(
                SimulatedEnvironment.Load.HIGH).build();
        Deque<Object[]> late = new ArrayDeque<>();
        List<Decision> made = new ArrayList<>();
        int refused = 0;
        for (int i = 0; i < epochs; i++) {
            for (String drafter : List.of("a", "b")) {
                SimulatedEnvironment env = drafter.equals("a") ? a : b;
                Decision d = bandit.decide(drafter, env.context());
                made.add(d);
                late.add(new Object[] {d.id(), env.step(d.arm())});
            }
            while (late.size() > 6) {
                Object[] r = late.poll();
                try {
                    bandit.realise((String) r[0], (Double) r[1]);
                } catch (IllegalArgumentException e) {
                    refused++;      // a decision forgotten meanwhile
                }
            }
            betweenEpochs.accept(bandit);
        }
        return new LiveRun(bandit, made, log.steps(), refused);
    }

    static LiveRun live(int epochs) {
        return live(epochs, b -> { });
    }

    @Test
    void replayingTheLogMakesEveryDecisionAgainAndEndsWithTheSamePosterior() {
        LiveRun run = live(150);

        DecisionReplay.Result replay = DecisionReplay.replay(config(), RUN, run.steps());

        assertThat(replay.divergences()).isEmpty();
        assertThat(replay.gap()).isEmpty();
        assertThat(replay.faithful()).isTrue();
        assertThat(replay.decisions()).hasSameSizeAs(run.decisions());
        for (Decision live : run.decisions()) {
            Decision again = replay.decision(live.id());
            assertThat(again.arm()).as("arm of %s", live.id()).isEqualTo(live.arm());
            assertThat(again.reason()).isEqualTo(live.reason());
            assertThat(again.predictedGain()).isEqualTo(live.predictedGain());
            assertThat(again.predictedCost()).isEqualTo(live.predictedCost());
            assertThat(again.posteriorMeans()).isEqualTo(live.posteriorMeans());
            assertThat(again.estimates()).as("per-arm estimates and Thompson draws of %s", live.id())
                    .isEqualTo(live.estimates());
        }
        for (String drafter : List.of("a", "b")) {
            assertThat(replay.learned().get(drafter)).as("posterior of drafter %s", drafter)
                    .isEqualTo(run.bandit().learned(drafter).orElseThrow());
        }
        // the run exercised what replay has to get right
        assertThat(run.decisions()).filteredOn(d -> d.reason() == Decision.Reason.THOMPSON_SAMPLE)
                .as("decisions that drew from the random stream").hasSizeGreaterThan(50);
        assertThat(run.decisions()).filteredOn(Decision::isUpdate).as("updates").isNotEmpty();
        assertThat(run.decisions()).filteredOn(d -> !d.isUpdate()).as("waits").isNotEmpty();
        assertThat(run.bandit().observations("a")).as("rewards learned from").isGreaterThan(100);
        assertThat(run.refusedRewards()).isZero();
    }

    @Test
    void theOrderOfTheLogDoesNotMatterTheSequenceNumbersDo() {
        LiveRun run = live(60);
        List<DecisionReplay.Step> shuffled = new ArrayList<>(run.steps());
        Collections.shuffle(shuffled, new Random(7));

        assertThat(DecisionReplay.replay(config(), RUN, shuffled).faithful()).isTrue();

        // the same calls in another order (a reward learned one decision later) are another history
        List<DecisionReplay.Step> reordered = learnedOneDecisionLater(run.steps());
        DecisionReplay.Result other = DecisionReplay.replay(config(), RUN, reordered);
        assertThat(other.divergences()).as("the decision now made before the reward was learned differs")
                .anyMatch(d -> d.what().startsWith("posterior"));
    }

    /** Moves the first reward to just after the next decision for the same drafter, renumbering in between. */
    static List<DecisionReplay.Step> learnedOneDecisionLater(List<DecisionReplay.Step> steps) {
        List<DecisionReplay.Step> sorted = new ArrayList<>(steps);
        sorted.sort(java.util.Comparator.comparingLong(DecisionReplay.Step::sequence));
        DecisionReplay.Realise r = (DecisionReplay.Realise) sorted.stream()
                .filter(s -> s instanceof DecisionReplay.Realise).findFirst().orElseThrow();
        String drafter = r.decisionId().split(":")[1];
        long next = sorted.stream().filter(s -> s.sequence() > r.sequence()
                        && s instanceof DecisionReplay.Decide d && d.drafterId().equals(drafter))
                .mapToLong(DecisionReplay.Step::sequence).findFirst().orElseThrow();
        List<DecisionReplay.Step> out = new ArrayList<>();
        for (DecisionReplay.Step s : sorted) {
            if (s.equals(r)) {
                out.add(new DecisionReplay.Realise(next, r.decisionId(), r.reward()));
            } else if (s.sequence() > r.sequence() && s.sequence() <= next) {
                out.add(renumbered(s, s.sequence() - 1));
            } else {
                out.add(s);
            }
        }
        return out;
    }

    static DecisionReplay.Step renumbered(DecisionReplay.Step s, long sequence) {
        if (s instanceof DecisionReplay.Decide d) {
            return new DecisionReplay.Decide(sequence, d.drafterId(), d.context(), d.logged());
        }
        DecisionReplay.Realise r = (DecisionReplay.Realise) s;
        return new DecisionReplay.Realise(sequence, r.decisionId(), r.reward());
    }

    @Test
    void aLostEventStopsTheReplayAtTheGapAndEverythingBeforeItIsStillChecked() {
        LiveRun run = live(40);
        long lost = run.steps().stream().filter(s -> s instanceof DecisionReplay.Realise)
                .mapToLong(DecisionReplay.Step::sequence).skip(5).findFirst().orElseThrow();
        List<DecisionReplay.Step> withGap = run.steps().stream().filter(s -> s.sequence() != lost).toList();

        DecisionReplay.Result replay = DecisionReplay.replay(config(), RUN, withGap);

        assertThat(replay.gap()).hasValue(lost);
        assertThat(replay.replayedThrough()).isEqualTo(lost - 1);
        assertThat(replay.notReplayed()).isEqualTo(withGap.size() - (int) (lost - 1));
        assertThat(replay.divergences()).isEmpty();
        assertThat(replay.faithful()).isFalse();
    }

    @Test
    void forgettingADrafterIsAnUnloggedChangeAndShowsAsAGap() {
        LiveRun run = live(30, b -> {
            if (b.sequence() >= 40 && b.sequence() < 44) {
                b.forget("b");
            }
        });

        DecisionReplay.Result replay = DecisionReplay.replay(config(), RUN, run.steps());

        assertThat(replay.gap()).isPresent();
        assertThat(replay.gap().getAsLong()).isBetween(41L, 45L);
        assertThat(replay.divergences()).isEmpty();
    }

    @Test
    void aTamperedRewardIsCaughtByTheDecisionsThatFollowIt() {
        LiveRun run = live(60);
        List<DecisionReplay.Step> tampered = new ArrayList<>();
        boolean[] done = {false};
        for (DecisionReplay.Step s : run.steps()) {
            if (!done[0] && s instanceof DecisionReplay.Realise r && r.sequence() > 30) {
                tampered.add(new DecisionReplay.Realise(r.sequence(), r.decisionId(), r.reward() + 5_000));
                done[0] = true;
            } else {
                tampered.add(s);
            }
        }

        DecisionReplay.Result replay = DecisionReplay.replay(config(), RUN, tampered);

        assertThat(replay.gap()).isEmpty();
        assertThat(replay.divergences()).isNotEmpty();
        assertThat(replay.faithful()).isFalse();
    }

    @Test
    void aDifferentSeedDoesNotReplayTheLog() {
        LiveRun run = live(60);

        DecisionReplay.Result replay = DecisionReplay.replay(config().withSeed(43), RUN, run.steps());

        assertThat(replay.divergences()).as("the Thompson draws differ, so the chosen arms do")
                .anyMatch(d -> d.what().equals("arm"));
    }

    @Test
    void readingWhatTheBanditLearnedChangesNothingItDecides() {
        List<Decision> quiet = decideInBatchesOfFour(false);
        List<Decision> observed = decideInBatchesOfFour(true);

        assertThat(observed).isEqualTo(quiet);
    }

    /** Four decisions, then their four rewards (reading the learned model after each, if asked), 30 times. */
    static List<Decision> decideInBatchesOfFour(boolean readBetweenRewards) {
        CostAwareBandit bandit = new CostAwareBandit(config(), CLOCK, RUN);
        SimulatedEnvironment env = SimulatedEnvironment.builder(5).dynamics(SimulatedEnvironment.Dynamics.IID).build();
        List<Decision> made = new ArrayList<>();
        for (int batch = 0; batch < 30; batch++) {
            List<Object[]> rewards = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Decision d = bandit.decide("a", env.context());
                made.add(d);
                rewards.add(new Object[] {d.id(), env.step(d.arm())});
            }
            for (Object[] r : rewards) {
                bandit.realise((String) r[0], (Double) r[1]);
                if (readBetweenRewards) {
                    assertThat(bandit.learned("a")).isPresent();
                }
            }
        }
        return made;
    }

    @Test
    void aDuplicatedEventIsDroppedAndTwoDifferentCallsWithOneNumberAreAnInconsistentLog() {
        LiveRun run = live(20);
        List<DecisionReplay.Step> twice = new ArrayList<>(run.steps());
        twice.addAll(run.steps().subList(10, 20));

        assertThat(DecisionReplay.replay(config(), RUN, twice).faithful()).isTrue();

        DecisionReplay.Realise r = (DecisionReplay.Realise) run.steps().stream()
                .filter(s -> s instanceof DecisionReplay.Realise).findFirst().orElseThrow();
        List<DecisionReplay.Step> conflicting = new ArrayList<>(run.steps());
        conflicting.add(new DecisionReplay.Realise(r.sequence(), r.decisionId(), r.reward() + 1));
        assertThatThrownBy(() -> DecisionReplay.replay(config(), RUN, conflicting))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sequence number " + r.sequence());
    }

    @Test
    void everyCallTakesTheNextSequenceNumberAndDecisionsCarryTheirs() {
        CostAwareBandit b = new CostAwareBandit(config(), CLOCK, RUN);
        Decision first = b.decide("a", CostAwareBanditTest.drifted().build());
        Decision second = b.decide("b", CostAwareBanditTest.drifted().build());
        List<Decision> realised = new ArrayList<>();
        b.addListener(new DecisionLog() {
            @Override
            public void onDecision(Decision decision) {
            }

            @Override
            public void onRealised(Decision decision) {
                realised.add(decision);
            }
        });
        b.realise(first.id(), 10.0);

        assertThat(first.sequence()).isEqualTo(1);
        assertThat(second.sequence()).isEqualTo(2);
        assertThat(realised).singleElement().satisfies(d -> {
            assertThat(d.sequence()).isEqualTo(1);
            assertThat(d.realisedSequence()).isEqualTo(3);
        });
        assertThatThrownBy(() -> b.realise(first.id(), 10.0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(b.sequence()).as("a refused call changes nothing and takes no number").isEqualTo(3);
        assertThat(b.runId()).isEqualTo(RUN);
    }

    @org.junit.jupiter.api.Test
    void aRewardLoggedWithItsInputsIsRecomputedFromThemAndAMismatchIsADivergence() {
        BanditConfig cfg = BanditConfig.defaults(8);
        CostAwareBandit live = new CostAwareBandit(cfg, java.time.Clock.systemUTC(), "rw");
        DecisionReplay.Recorder rec = new DecisionReplay.Recorder();
        live.addListener(rec);
        DecisionContext ctx = DecisionContextTest.typical().horizonRoundsPerSecond(80).build();
        Decision d = live.decide("d", ctx);
        Reward reward = new Reward(d.id(), d.isUpdate(), 0, 10_000, 400, 10_000, 20_000, 420, 100, 10, 0, Double.NaN,
                0, cfg.horizonSeconds());
        live.realise(reward);
        DecisionReplay.Result ok = DecisionReplay.replay(cfg, "rw", rec.steps());
        assertThat(ok.faithful()).isTrue();
        assertThat(ok.decision(d.id()).rewardInputs()).containsEntry("capacityAfter", 420.0);
        assertThat(ok.decision(d.id()).realisedReward().getAsDouble()).isEqualTo(reward.value());

        List<DecisionReplay.Step> tampered = new ArrayList<>();
        for (DecisionReplay.Step s : rec.steps()) {
            tampered.add(s instanceof DecisionReplay.Realise r
                    ? new DecisionReplay.Realise(r.sequence(), r.decisionId(), r.reward() + 100, r.inputs()) : s);
        }
        DecisionReplay.Result bad = DecisionReplay.replay(cfg, "rw", tampered);
        assertThat(bad.divergences()).extracting(DecisionReplay.Divergence::what).contains("reward from its inputs");
    }
}
