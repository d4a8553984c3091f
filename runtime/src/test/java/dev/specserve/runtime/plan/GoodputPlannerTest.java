package dev.specserve.runtime.plan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.runtime.spec.Acceptance;
import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.DraftTree;
import dev.specserve.runtime.spec.RoundResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;

/**
 * The planner as a specification: it verifies what pays at the current costs and acceptance, decodes
 * plainly when nothing pays, follows a cost model that changes under it, and follows a drafter update.
 * Sequences here are plain test implementations of {@link PlannedSequence}; acceptance and timing are
 * simulated so the expectations are exact.
 */
class GoodputPlannerTest {
    /** Simulated time: only drafter forwards advance it, so the tests do not depend on the machine's load. */
    static final java.util.concurrent.atomic.AtomicLong CLOCK = new java.util.concurrent.atomic.AtomicLong();

    /**
     * A sequence whose lookup always offers a 12-deep chain and whose model (if any) offers a 4-deep one for
     * 2 ms of drafting.
     */
    static class Chain implements PlannedSequence {
        final boolean model;
        final DraftBudget budget;
        int modelCalls;
        long modelNanos = 2_000_000;

        Chain(boolean model, DraftBudget budget) {
            this.model = model;
            this.budget = budget;
        }

        @Override public boolean adaptive() { return true; }
        @Override public boolean hasModel() { return model; }
        @Override public DraftBudget budget() { return budget; }
        @Override public int pastLength() { return 100; }

        @Override
        public DraftTree propose(DraftBudget b) {
            DraftTree t = new DraftTree();
            int parent = DraftTree.ROOT;
            for (int d = 0; d < Math.min(12, b.maxDepth()) && t.size() < b.maxNodes(); d++) {
                parent = t.addLookup(parent, 100 + d, 0f, 1f, 12, 3);
            }
            if (model && b.maxForwards() > 0) {
                modelCalls++;
                CLOCK.addAndGet(modelNanos); // a drafter forward costs 2 ms of simulated time unless set
                DraftTree m = new DraftTree();
                int p = DraftTree.ROOT;
                for (int d = 0; d < 4; d++) {
                    p = m.add(p, 200 + d, (float) Math.log(0.9) * (d + 1), -1);
                }
                t = m.merge(t);
            }
            return t;
        }
    }

    /** Simulates a round: each node on the main path is accepted with its source's probability. */
    static RoundResult round(DraftTree tree, IntToDoubleFunction acceptBySource, SplittableRandom rng, long version) {
        List<Integer> path = new ArrayList<>();
        int node = DraftTree.ROOT;
        outer:
        while (true) {
            for (int c = 0; c < tree.size(); c++) {
                if (tree.parent(c) == node && rng.nextDouble() < acceptBySource.applyAsDouble(tree.sources(c))) {
                    path.add(c);
                    node = c;
                    continue outer;
                }
            }
            break;
        }
        int[] accepted = path.stream().mapToInt(Integer::intValue).toArray();
        return new RoundResult(0, tree, new Acceptance(accepted, 1, new int[tree.size() + 1]), 0, 0, 0, 0, 0, 0,
                version);
    }

    static GoodputPlanner plannerWithCosts(double fixedMs, double perTokenMs) {
        GoodputPlanner planner = new GoodputPlanner(CLOCK::get);
        List<double[]> profile = new ArrayList<>();
        for (int nodes : new int[] {0, 1, 3, 7, 15, 31}) {
            profile.add(new double[] {nodes, 100, fixedMs + perTokenMs * (nodes + 1)});
            profile.add(new double[] {nodes, 300, fixedMs + perTokenMs * (nodes + 1) + 0.01});
        }
        planner.calibrate(profile);
        return planner;
    }

    static int plannedSize(GoodputPlanner planner, Chain seq) {
        return planner.draft(List.of(seq), KvReads.OWN_PASTS)[0].size();
    }

    @Test
    void cheapVerificationAndCertainAcceptanceVerifyTheWholeChain() {
        GoodputPlanner planner = plannerWithCosts(4.0, 0.01);
        Chain seq = new Chain(false, new DraftBudget(16, 12));
        SplittableRandom rng = new SplittableRandom(1);
        for (int r = 0; r < 40; r++) {
            DraftTree t = planner.draft(List.of(seq), KvReads.OWN_PASTS)[0];
            planner.observe(seq, t, round(t, src -> 1.0, rng, 0));
        }

        assertThat(plannedSize(planner, seq)).isEqualTo(12);
    }

    @Test
    void whenNothingIsEverAcceptedThePlannerDecodesPlainly() {
        GoodputPlanner planner = plannerWithCosts(4.0, 0.25);
        Chain seq = new Chain(false, new DraftBudget(16, 12));
        SplittableRandom rng = new SplittableRandom(2);
        int first = plannedSize(planner, seq);
        for (int r = 0; r < 60; r++) {
            DraftTree t = planner.draft(List.of(seq), KvReads.OWN_PASTS)[0];
            planner.observe(seq, t, round(t, src -> 0.0, rng, 0));
        }

        assertThat(first).as("a long lookup match is worth verifying before any evidence").isPositive();
        assertThat(plannedSize(planner, seq)).isZero();
        assertThat(planner.state().get("plain_step_ratio")).isPositive();
    }

    @Test
    void itsStateIsReadWithoutWaitingForARoundInProgress() throws Exception {
        GoodputPlanner planner = plannerWithCosts(4.0, 0.01);
        java.util.concurrent.CountDownLatch drafting = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        Chain slow = new Chain(true, new DraftBudget(16, 12)) {
            @Override
            public DraftTree propose(DraftBudget b) {
                drafting.countDown();
                try {
                    release.await(); // a drafter forward that takes as long as the test wants
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return super.propose(b);
            }
        };
        Thread round = new Thread(() -> planner.draft(List.of(slow), KvReads.OWN_PASTS));
        round.start();
        drafting.await();

        try {
            java.util.concurrent.CompletableFuture<Map<String, Double>> read =
                    java.util.concurrent.CompletableFuture.supplyAsync(planner::state);
            assertThat(read.get(2, java.util.concurrent.TimeUnit.SECONDS)).containsKey("plain_step_ratio");
        } finally {
            release.countDown();
            round.join();
        }
    }

    @Test
    void theChoiceFollowsAVerifyCostThatChangesMidRun() {
        GoodputPlanner planner = plannerWithCosts(4.0, 0.02);
        Chain seq = new Chain(false, new DraftBudget(16, 12));
        SplittableRandom rng = new SplittableRandom(3);
        List<Chain> batch = List.of(seq);
        int cheap = 0;
        for (int r = 0; r < 200; r++) {
            DraftTree t = planner.draft(batch, KvReads.OWN_PASTS)[0];
            planner.observe(seq, t, round(t, src -> 0.7, rng, 0));
            planner.observeVerify(batch, new DraftTree[] {t}, KvReads.OWN_PASTS, (long) ((4.0 + 0.02 * (t.size() + 1)) * 1e6));
            cheap = t.size();
        }
        // the machine gets slower per verified token (e.g. another tenant): each token now costs 2.5 ms
        int expensive = 0;
        for (int r = 0; r < 600; r++) {
            DraftTree t = planner.draft(batch, KvReads.OWN_PASTS)[0];
            planner.observe(seq, t, round(t, src -> 0.7, rng, 0));
            planner.observeVerify(batch, new DraftTree[] {t}, KvReads.OWN_PASTS, (long) ((4.0 + 2.5 * (t.size() + 1)) * 1e6));
            expensive = t.size();
        }

        assertThat(cheap).as("nodes verified while a token costs 0.02 ms").isGreaterThanOrEqualTo(6);
        // at acceptance 0.7 and 4 + 2.5 ms per token, goodput peaks at 1-2 nodes (0.189 vs 0.154 plain)
        assertThat(expensive).as("nodes verified once a token costs 2.5 ms").isBetween(1, 3);
        assertThat(planner.verifyCostCoefficients()[1]).as("learned ms per token").isGreaterThan(1.5);
    }

    @Test
    void aModelForwardIsBoughtOnlyWhileItPays() {
        GoodputPlanner planner = plannerWithCosts(4.0, 0.05);
        Chain seq = new Chain(true, new DraftBudget(16, 12));
        SplittableRandom rng = new SplittableRandom(4);
        // the lookup never matches what the target says; the model always does
        for (int r = 0; r < 100; r++) {
            DraftTree t = planner.draft(List.of(seq), KvReads.OWN_PASTS)[0];
            planner.observe(seq, t, round(t, src -> (src & DraftTree.MODEL) != 0 ? 0.95 : 0.0, rng, 1));
        }
        int callsWhileGood = seq.modelCalls;
        // a drafter update makes the model useless: its evidence resets, and calls stop
        seq.modelCalls = 0;
        for (int r = 0; r < 100; r++) {
            DraftTree t = planner.draft(List.of(seq), KvReads.OWN_PASTS)[0];
            planner.observe(seq, t, round(t, src -> 0.0, rng, 2));
        }

        assertThat(callsWhileGood).as("model calls in 100 rounds while it is accepted").isGreaterThan(80);
        assertThat(seq.modelCalls).as("model calls in 100 rounds after it stopped paying").isLessThan(20);
    }

    /**
     * The drafter-cost prior is a guess (1 ms and more per call), and a cost only the planner's own purchases
     * measure: a model far cheaper than that guess is profiled right after calibration and then bought on its merits
     * from the first rounds, not after the hundreds of rounds that probes once every 64 took to refit the guess.
     */
    @Test
    void aDrafterCheaperThanThePriorGuessIsMeasuredAndBoughtFromTheStart() {
        GoodputPlanner planner = plannerWithCosts(1.0, 0.2);
        Chain seq = new Chain(true, new DraftBudget(16, 12));
        seq.modelNanos = 150_000; // 0.15 ms a call
        SplittableRandom rng = new SplittableRandom(5);
        for (int r = 0; r < 60; r++) {
            DraftTree t = planner.draft(List.of(seq), KvReads.OWN_PASTS)[0];
            planner.observe(seq, t, round(t, src -> (src & DraftTree.MODEL) != 0 ? 0.8 : 0.0, rng, 1));
        }

        assertThat(seq.modelCalls).as("model calls in the first 60 rounds").isGreaterThan(50);
        assertThat(planner.state().get("draft_cost_intercept_ms")).as("the profiled fixed cost")
                .isLessThan(0.3);
    }

    /** Chains whose batched proposals are recorded: how many sequences bought a model forward in each. */
    static final class SharedChain extends Chain {
        final List<Integer> modelProposals;

        SharedChain(List<Integer> modelProposals) {
            super(true, new DraftBudget(16, 12));
            this.modelProposals = modelProposals;
        }

        @Override
        public DraftTree[] proposeAll(List<? extends PlannedSequence> batch, List<DraftBudget> budgets) {
            if (budgets.stream().anyMatch(b -> b.maxForwards() > 0)) {
                modelProposals.add((int) budgets.stream().filter(b -> b.maxForwards() > 0).count());
            }
            return super.proposeAll(batch, budgets);
        }
    }

    @Test
    void modelForwardsBoughtForSeveralSequencesOfARoundAreDraftedInOneProposal() {
        GoodputPlanner planner = plannerWithCosts(8.0, 0.01);
        List<Integer> proposals = new ArrayList<>();
        List<SharedChain> batch = List.of(new SharedChain(proposals), new SharedChain(proposals),
                new SharedChain(proposals), new SharedChain(proposals));
        SplittableRandom rng = new SplittableRandom(6);
        for (int r = 0; r < 50; r++) {
            DraftTree[] trees = planner.draft(batch, KvReads.padded(128));
            for (int i = 0; i < batch.size(); i++) {
                planner.observe(batch.get(i), trees[i], round(trees[i], src -> (src & DraftTree.MODEL) != 0 ? 0.95 : 0.0,
                        rng, 1));
            }
        }

        assertThat(proposals).as("one batched model proposal per round").hasSizeBetween(45, 50);
        assertThat(proposals.subList(proposals.size() - 10, proposals.size())).as("every sequence in it").containsOnly(4);
        assertThat(planner.state().get("model_batch_mean")).isGreaterThan(3.5);
        assertThat(planner.state().get("model_call_ratio")).as("a share of the sequences' rounds, not of rounds")
                .isBetween(0.8, 1.0);
        assertThat(planner.state().get("plain_step_ratio")).isBetween(0.0, 0.2);
    }

    @Test
    void aForwardThatPaysOnlyWhenTheBatchSharesItIsBoughtForTheBatch() {
        // verify tokens are dear (0.5 ms each, padded to the widest tree for both sequences): one sequence's
        // 4-deep model chain does not pay for both sequences' padding, the two chains together do
        GoodputPlanner planner = plannerWithCosts(2.0, 0.5);
        List<Integer> proposals = new ArrayList<>();
        List<SharedChain> batch = List.of(new SharedChain(proposals), new SharedChain(proposals));
        SplittableRandom rng = new SplittableRandom(7);
        for (SharedChain seq : batch) { // the model's chains have been verified before: its acceptance is known
            DraftTree modelTree = seq.propose(new DraftBudget(16, 12));
            for (int r = 0; r < 50; r++) {
                planner.observe(seq, modelTree, round(modelTree, src -> (src & DraftTree.MODEL) != 0 ? 0.95 : 0.0, rng, 1));
            }
        }
        proposals.clear();
        for (int r = 0; r < 100; r++) {
            DraftTree[] trees = planner.draft(batch, KvReads.padded(128));
            for (int i = 0; i < batch.size(); i++) {
                planner.observe(batch.get(i), trees[i], round(trees[i], src -> (src & DraftTree.MODEL) != 0 ? 0.95 : 0.0,
                        rng, 1));
            }
        }

        assertThat(proposals).as("rounds with a model proposal, of 100").hasSizeGreaterThan(80);
        assertThat(proposals.subList(proposals.size() - 10, proposals.size())).as("for both sequences").containsOnly(2);
    }

    @Test
    void aDrafterUpdateIsFollowedWithinAFewRounds() {
        GoodputPlanner planner = plannerWithCosts(4.0, 0.05);
        Chain seq = new Chain(true, new DraftBudget(16, 12));
        DraftTree modelTree = seq.propose(new DraftBudget(16, 12));
        SplittableRandom rng = new SplittableRandom(5);
        for (int r = 0; r < 200; r++) {
            planner.observe(seq, modelTree, round(modelTree, src -> (src & DraftTree.MODEL) != 0 ? 0.0 : 0.0, rng, 1));
        }
        double before = maxModelValue(planner, seq, modelTree);
        for (int r = 0; r < 5; r++) {
            planner.observe(seq, modelTree, round(modelTree, src -> (src & DraftTree.MODEL) != 0 ? 1.0 : 0.0, rng, 2));
        }
        double after = maxModelValue(planner, seq, modelTree);

        assertThat(before).isLessThan(0.1);
        assertThat(after).as("model acceptance estimate five rounds after the new version").isGreaterThan(0.5);
    }

    private static double maxModelValue(GoodputPlanner planner, Chain seq, DraftTree tree) {
        double[] v = planner.nodeValues(seq, tree);
        double best = 0;
        for (int n = 0; n < tree.size(); n++) {
            if (tree.sources(n) == DraftTree.MODEL && tree.depth(n) == 1) {
                best = Math.max(best, v[n]);
            }
        }
        return best;
    }

    /** A sequence whose lookups offer nothing worth verifying, then a chain worth verifying, counting its lookups. */
    static final class Lookups extends Chain {
        boolean worthIt;
        int lookups;

        Lookups() {
            super(false, new DraftBudget(16, 12));
        }

        @Override
        public DraftTree propose(DraftBudget b) {
            if (b.empty()) {
                return new DraftTree();
            }
            lookups++;
            return worthIt ? super.propose(b) : new DraftTree();
        }
    }

    @Test
    void lookupsBackOffWhileTheyOfferNothingAndResumeEveryRoundOnceADraftIsVerified() {
        GoodputPlanner planner = plannerWithCosts(4.0, 0.01);
        Lookups seq = new Lookups();
        SplittableRandom rng = new SplittableRandom(1);

        for (int r = 0; r < 40; r++) {
            DraftTree t = planner.draft(List.of(seq), KvReads.OWN_PASTS)[0];
            planner.observe(seq, t, round(t, src -> 1.0, rng, 0));
        }
        assertThat(seq.lookups).as("at most every fourth round once backed off").isBetween(10, 14);

        seq.worthIt = true;
        int before = seq.lookups;
        for (int r = 0; r < 40; r++) {
            DraftTree t = planner.draft(List.of(seq), KvReads.OWN_PASTS)[0];
            planner.observe(seq, t, round(t, src -> 1.0, rng, 0));
        }
        assertThat(seq.lookups - before).as("every round again, after at most a few skipped").isGreaterThanOrEqualTo(37);
    }
}
