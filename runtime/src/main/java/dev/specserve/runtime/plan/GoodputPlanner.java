package dev.specserve.runtime.plan;

import dev.specserve.runtime.spec.Acceptance;
import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.DraftTree;
import dev.specserve.runtime.spec.RoundResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.function.LongSupplier;

/**
 * Chooses, every round and for every adaptive sequence of the batch, what to draft: whether to buy a
 * drafter-model forward on top of the free lookup candidates, and how many nodes of the resulting tree to
 * verify (0 = a plain decode step). The objective is the batch's expected committed tokens per second:
 *
 * <pre>
 *   goodput = sum_i (1 + sum of kept node values of i) / (drafting ms + predicted verify ms)
 * </pre>
 *
 * where a node's value is the product of estimated acceptance probabilities along its root path (so it never
 * exceeds its parent's, and any top-k set is a valid subtree). Acceptance is learned online per source and
 * node feature, globally and per sequence (the global estimate is the per-sequence prior); the verify and
 * drafter costs are linear models refitted from measured rounds. Sequences whose strategy fixes the budget
 * are drafted as asked, and only their cost enters the objective.
 *
 * <p>Thread-safe: every entry point locks the planner.
 */
public final class GoodputPlanner {
    /**
     * Pending context pairs an adaptive drafter model catches up on per call: older ones are skipped, so a
     * model left idle costs a bounded forward when it is called again.
     */
    public static final int MODEL_CATCH_UP = 8;

    private final AcceptanceModel acceptance = new AcceptanceModel();
    private final LongSupplier clock;
    private final VerifyCost verifyCost = new VerifyCost();
    private final DraftCost draftCost = new DraftCost();
    private final Map<PlannedSequence, SequencePlan> states = new WeakHashMap<>();
    private int modelReach = 4;
    private long modelCalls;
    private long modelProposals;
    private long plainSteps;
    private long plannedRounds;
    /** Rounds planned for adaptive sequences, one per sequence per round: the share metrics' denominator. */
    private long sequenceRounds;
    private final ModelExploration exploration = new ModelExploration();
    private double predictedAccepted;
    private double actualAccepted;
    /** {@link #state()} as of the last verified round: metrics read it without waiting for a round's lock. */
    private volatile Map<String, Double> published = snapshot();

    public GoodputPlanner() {
        this(System::nanoTime);
    }

    /** @param clock nanoseconds, for timing drafter calls (tests pass a simulated clock) */
    GoodputPlanner(LongSupplier clock) {
        this.clock = clock;
    }

    // ------------------------------------------------------------------ planning

    /**
     * Drafts this round's trees, one per sequence, planned for the batch as a whole. Fixed-budget sequences
     * draft as asked, together (one batched model call per drafting step); adaptive ones first get the free
     * lookup tree, then the model forwards worth buying, again in one batched proposal.
     *
     * @param kv the KV rows the verification will read, as the target runs this batch (it prices every plan)
     */
    public synchronized DraftTree[] draft(List<? extends PlannedSequence> batch, KvReads kv) {
        int b = batch.size();
        DraftTree[] trees = new DraftTree[b];
        List<Integer> fixed = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            state(batch.get(i)).calledModel = false;
            if (!batch.get(i).adaptive()) {
                fixed.add(i);
            }
        }
        long t0 = clock.getAsLong();
        proposeFor(batch, fixed, trees);
        for (int i = 0; i < b; i++) {
            PlannedSequence s = batch.get(i);
            if (s.adaptive()) {
                trees[i] = s.propose(state(s).lookupBudget(s.budget()));
            }
        }
        double draftMs = (clock.getAsLong() - t0) / 1e6;
        double[][] values = new double[b][];
        for (int i = 0; i < b; i++) {
            values[i] = sortedValues(batch.get(i), trees[i]);
        }
        draftMs = buyModelForwards(batch, trees, values, kv, draftMs);
        Choice best = choose(batch, trees, values, kv, draftMs);
        plannedRounds++;
        for (int i = 0; i < b; i++) {
            PlannedSequence s = batch.get(i);
            if (s.adaptive()) {
                trees[i] = NodeRanking.keepBest(trees[i], nodeValues(s, trees[i]), best.take(i));
                plainSteps += trees[i].size() == 0 ? 1 : 0;
                sequenceRounds++;
                state(s).predictedRaw = NodeRanking.sum(acceptance.rawNodeValues(s, trees[i]), trees[i].size());
                state(s).afterRound(trees[i].size() > 0);
                predictedAccepted += state(s).predictedRaw * acceptance.chosenRatio(s);
            }
        }
        published = snapshot();
        return trees;
    }

    /** Proposes for the sequences at {@code which} in one batched proposal, each within its own budget. */
    private static void proposeFor(List<? extends PlannedSequence> batch, List<Integer> which, DraftTree[] trees) {
        if (which.isEmpty()) {
            return;
        }
        List<PlannedSequence> seqs = new ArrayList<>(which.size());
        List<DraftBudget> budgets = new ArrayList<>(which.size());
        for (int i : which) {
            seqs.add(batch.get(i));
            budgets.add(batch.get(i).budget());
        }
        DraftTree[] got = seqs.get(0).proposeAll(seqs, budgets);
        for (int j = 0; j < got.length; j++) {
            trees[which.get(j)] = got[j];
        }
    }

    /**
     * Chooses the adaptive sequences for which a model forward pays, then drafts them in one batched proposal.
     * The model's calls are shared and a batch is verified padded to its widest tree, so buying is decided for
     * the batch as a whole: the candidates are ranked by their own expected gain, and the planner buys for the
     * best k of them, the k (0 included) with the highest expected goodput. Deciding one sequence at a time
     * would charge the first buyer the call's fixed cost and every sequence's padding, and refuse a forward
     * that pays once a second sequence shares it.
     */
    private double buyModelForwards(List<? extends PlannedSequence> batch, DraftTree[] trees, double[][] values,
                                    KvReads kv, double draftMs) {
        int b = batch.size();
        List<Integer> candidates = new ArrayList<>();
        double[][] merged = new double[b][];
        double[] gains = new double[b];
        for (int i = 0; i < b; i++) {
            PlannedSequence s = batch.get(i);
            if (!s.adaptive() || !s.hasModel() || s.budget().empty() || s.budget().maxForwards() == 0) {
                continue;
            }
            double[] gain = modelGain(s, trees[i]);
            candidates.add(i);
            merged[i] = NodeRanking.mergeDescending(values[i], gain);
            gains[i] = NodeRanking.sum(gain, gain.length);
        }
        candidates.sort((x, y) -> Double.compare(gains[y], gains[x]));
        double[][] trial = values.clone();
        double best = choose(batch, trees, values, kv, draftMs).goodput;
        int bestK = 0;
        int bestRows = 0;
        int rows = 0;
        for (int k = 1; k <= candidates.size(); k++) {
            int i = candidates.get(k - 1);
            rows += seqRows(batch.get(i));
            trial[i] = merged[i];
            double g = choose(batch, trees, trial, kv, draftMs + draftCost.predict(rows)).goodput;
            if (g > best) {
                best = g;
                bestK = k;
                bestRows = rows;
            }
        }
        boolean profiling = draftCost.profiling();
        boolean probe = bestK == 0 && !candidates.isEmpty()
                && (profiling || exploration.due(plannedRounds, acceptance.modelEvidence()));
        if (probe) {
            bestK = 1; // explore: keep the model's evidence fresh
            bestRows = seqRows(batch.get(candidates.get(0)));
        }
        List<Integer> buyers = candidates.subList(0, bestK);
        rows = bestRows;
        if (buyers.isEmpty()) {
            return draftMs;
        }
        long t0 = clock.getAsLong();
        proposeFor(batch, buyers, trees);
        double ms = (clock.getAsLong() - t0) / 1e6;
        draftCost.observe(ms, rows);
        modelCalls += buyers.size();
        modelProposals++;
        exploration.called(plannedRounds, probe && !profiling); // a profiling call is no probe: its fate says nothing about probing
        for (int i : buyers) {
            state(batch.get(i)).calledModel = true;
            int reach = 0;
            for (int n = 0; n < trees[i].size(); n++) {
                if (trees[i].from(n, DraftTree.MODEL)) {
                    reach = Math.max(reach, trees[i].depth(n));
                }
            }
            if (reach > 0) {
                modelReach = reach;
            }
            values[i] = sortedValues(batch.get(i), trees[i]);
        }
        return draftMs + ms;
    }

    /** Rows a model forward for {@code s} feeds: its pending context pairs (at most the catch-up) and a block. */
    private int seqRows(PlannedSequence s) {
        return Math.min(state(s).tokensSinceModel, MODEL_CATCH_UP) + modelReach;
    }

    /**
     * What a model forward would add: the learned chance that its candidates hold the target's token at each
     * depth (given the depth before was reached), multiplied along the depths, and discounted by the chance
     * that the lookup candidates already reach that depth.
     */
    private double[] modelGain(PlannedSequence s, DraftTree lookup) {
        int depth = Math.min(modelReach, s.budget().maxDepth());
        double[] covered = new double[depth + 1];
        double[] v = nodeValues(s, lookup);
        for (int n = 0; n < lookup.size(); n++) {
            int d = lookup.depth(n);
            if (d <= depth) {
                covered[d] = Math.min(1, covered[d] + v[n]);
            }
        }
        double[] gain = new double[depth];
        double chain = acceptance.chosenRatio(s);
        for (int d = 1; d <= depth; d++) {
            chain *= acceptance.modelDepth(s, d);
            gain[d - 1] = chain * (1 - covered[d]);
        }
        return gain;
    }

    private record Choice(double goodput, int perSequence, int[] takes) {
        int take(int i) {
            return takes[i];
        }
    }

    /**
     * The node count that maximises expected goodput. A batch of one takes its best S nodes; a larger batch
     * is padded to its longest tree, so every sequence takes up to the same L nodes.
     */
    private Choice choose(List<? extends PlannedSequence> batch, DraftTree[] trees, double[][] values,
                          KvReads kv, double draftMs) {
        int b = batch.size();
        int fixedMax = 0;
        double fixedTokens = 0;
        int maxL = 0;
        for (int i = 0; i < b; i++) {
            if (batch.get(i).adaptive()) {
                maxL = Math.max(maxL, values[i].length);
            } else {
                fixedMax = Math.max(fixedMax, trees[i].size());
                fixedTokens += 1 + NodeRanking.sum(values[i], values[i].length);
            }
        }
        Choice best = null;
        int[] takes = new int[b];
        for (int l = 0; l <= maxL; l++) {
            double tokens = fixedTokens;
            int widest = fixedMax;
            for (int i = 0; i < b; i++) {
                if (batch.get(i).adaptive()) {
                    takes[i] = Math.min(l, values[i].length);
                    tokens += 1 + NodeRanking.sum(values[i], takes[i]);
                    widest = Math.max(widest, takes[i]);
                }
            }
            double ms = draftMs + verifyCost.predict(batch, widest, kv);
            double g = tokens / Math.max(ms, 1e-3);
            if (best == null || g > best.goodput) {
                best = new Choice(g, l, takes.clone());
            }
        }
        return best;
    }

    private double[] sortedValues(PlannedSequence s, DraftTree tree) {
        return NodeRanking.descending(nodeValues(s, tree));
    }

    double[] nodeValues(PlannedSequence s, DraftTree tree) {
        return acceptance.nodeValues(s, tree);
    }

    // ------------------------------------------------------------------ costs

    /** A measured verification (forward plus acceptance) of {@code trees} for {@code batch}. */
    public synchronized void observeVerify(List<? extends PlannedSequence> batch, DraftTree[] trees,
                                           KvReads kv, long nanos) {
        int widest = 0;
        for (DraftTree t : trees) {
            widest = Math.max(widest, t.size());
        }
        verifyCost.observe(batch, widest, kv, nanos / 1e6);
        published = snapshot();
    }

    /**
     * Replaces the verify-cost prior with a fit to profiled forwards, (tree nodes, past, ms) triples, and starts
     * profiling the drafter model's calls ({@link DraftCost}).
     */
    public synchronized void calibrate(List<double[]> profile) {
        verifyCost.calibrate(profile);
        draftCost.calibrate();
        published = snapshot();
    }

    // ------------------------------------------------------------------ learning

    /** Learns from a verified round: which nodes were accepted given their parent was, and what the model was fed. */
    public synchronized void observe(PlannedSequence s, DraftTree tree, RoundResult round) {
        SequencePlan st = state(s);
        Acceptance acc = round.acceptance();
        if (s.adaptive()) {
            actualAccepted += acc.acceptedNodes().length;
            if (tree.size() > 0) {
                acceptance.learnChosen(s, st.predictedRaw, acc.acceptedNodes().length);
            }
        }
        boolean[] onPath = new boolean[tree.size()];
        for (int n : acc.acceptedNodes()) {
            onPath[n] = true;
        }
        acceptance.learn(s, tree, onPath, round.drafterVersion());
        boolean modelInTree = false;
        boolean modelAccepted = false;
        for (int n = 0; n < tree.size(); n++) {
            modelInTree |= tree.from(n, DraftTree.MODEL);
            modelAccepted |= onPath[n] && tree.from(n, DraftTree.MODEL);
        }
        if (st.calledModel) {
            exploration.verified(modelAccepted);
        }
        int committed = acc.acceptedNodes().length + 1;
        st.tokensSinceModel = st.calledModel || modelInTree ? committed : st.tokensSinceModel + committed;
    }

    private SequencePlan state(PlannedSequence s) {
        return states.computeIfAbsent(s, k -> new SequencePlan(s.pastLength() + 1));
    }

    // ------------------------------------------------------------------ state, for metrics and logs

    public synchronized double[] verifyCostCoefficients() {
        return verifyCost.coefficients();
    }

    /**
     * Cost-model coefficients and decision shares, keyed as the metrics name them, as of the last verified round.
     * Never waits: a round holds the planner's lock through its drafter forwards, and metrics are scraped on an
     * event loop.
     */
    public Map<String, Double> state() {
        return published;
    }

    private Map<String, Double> snapshot() {
        double[] v = verifyCost.coefficients();
        double[] d = draftCost.coefficients();
        Map<String, Double> m = new java.util.LinkedHashMap<>();
        m.put("verify_cost_intercept_ms", v[0]);
        m.put("verify_cost_per_token_ms", v[1]);
        m.put("verify_cost_per_kv_kilorow_ms", v[2]);
        m.put("draft_cost_intercept_ms", d[0]);
        m.put("draft_cost_per_row_ms", d[1]);
        m.put("verify_cost_predicted_over_actual", verifyCost.predictedOverActual());
        m.put("cost_outliers_left_out", (double) (verifyCost.outliers() + draftCost.outliers()));
        m.put("plain_step_ratio", sequenceRounds == 0 ? 0 : (double) plainSteps / sequenceRounds);
        m.put("model_call_ratio", sequenceRounds == 0 ? 0 : (double) modelCalls / sequenceRounds);
        m.put("model_batch_mean", modelProposals == 0 ? 0 : (double) modelCalls / modelProposals);
        m.put("model_probe_interval_rounds", (double) exploration.interval());
        m.put("acceptance_discount_greedy", acceptance.chosenRatio(false));
        m.put("acceptance_discount_sampled", acceptance.chosenRatio(true));
        return java.util.Collections.unmodifiableMap(m);
    }

    @Override
    public synchronized String toString() {
        return String.format("goodput planner: %s, %s, model calls %d, plain steps %d of %d sequence rounds, accepted "
                        + "tokens predicted/actual %.0f/%.0f, %s", verifyCost, draftCost, modelCalls, plainSteps,
                sequenceRounds, predictedAccepted, actualAccepted, verifyCost.predictedAgainstActual());
    }
}
