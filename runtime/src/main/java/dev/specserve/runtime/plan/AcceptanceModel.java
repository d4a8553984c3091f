package dev.specserve.runtime.plan;

import dev.specserve.runtime.spec.DraftTree;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * What the planner knows about acceptance: for each node, the probability that the target accepts it given
 * its parent was accepted, learned per source and node feature ({@link NodeFeatures}), globally and per
 * sequence (the global estimate is the per-sequence prior, so a new request starts sensibly); and, per depth,
 * the chance that a drafter model's candidates hold the target's token. A new drafter version fades the
 * model's evidence so the estimates follow it within a few rounds. Not thread-safe (the planner locks).
 *
 * <p>Greedy and sampling sequences learn apart ({@link AcceptanceRegime}).
 */
final class AcceptanceModel {
    private static final double SEQ_STRENGTH = 6;

    private final AcceptanceRegime[] regimes = {new AcceptanceRegime(), new AcceptanceRegime()};
    private final Map<PlannedSequence, Evidence> sequences = new WeakHashMap<>();
    private long drafterVersion = -1;

    private AcceptanceRegime regime(PlannedSequence s) {
        return regimes[s.sampled() ? 1 : 0];
    }

    /** One sequence's evidence, forgotten faster than the global one. */
    private static final class Evidence {
        final AcceptanceTable model = new AcceptanceTable(NodeFeatures.MODEL_CELLS, 0.95);
        final AcceptanceTable suffix = new AcceptanceTable(NodeFeatures.SUFFIX_CELLS, 0.95);
        final AcceptanceTable depth = new AcceptanceTable(NodeFeatures.CHAIN_DEPTHS, 0.9);
        final AcceptanceTable grammar = new AcceptanceTable(NodeFeatures.CHAIN_DEPTHS, 0.95);
        long drafterVersion = -1;
    }

    /**
     * Each node's expected contribution to the accepted tokens: the product of conditional estimates along its
     * path, discounted by how the regime's chosen trees have fared ({@link AcceptanceRegime#chosenRatio}).
     */
    double[] nodeValues(PlannedSequence s, DraftTree tree) {
        double[] v = rawNodeValues(s, tree);
        double ratio = regime(s).chosenRatio();
        for (int n = 0; n < v.length; n++) {
            v[n] *= ratio;
        }
        return v;
    }

    /** Probability that each node is accepted: the product of conditional estimates along its path. */
    double[] rawNodeValues(PlannedSequence s, DraftTree tree) {
        Evidence e = evidence(s);
        AcceptanceRegime r = regime(s);
        double[] v = new double[tree.size()];
        for (int n = 0; n < v.length; n++) {
            int p = tree.parent(n);
            double parent = p == DraftTree.ROOT ? 1 : v[p];
            v[n] = parent * Math.min(conditional(r, e, tree, n), 0.999);
        }
        return v;
    }

    /** A verified tree's raw expected accepted tokens ({@link #rawNodeValues} summed) and what it got. */
    void learnChosen(PlannedSequence s, double predicted, int accepted) {
        regime(s).learnChosen(predicted, accepted);
    }

    /** The discount {@link #nodeValues} applies in {@code s}'s regime. */
    double chosenRatio(PlannedSequence s) {
        return regime(s).chosenRatio();
    }

    double chosenRatio(boolean sampled) {
        return regimes[sampled ? 1 : 0].chosenRatio();
    }

    private double conditional(AcceptanceRegime r, Evidence e, DraftTree tree, int n) {
        double p = 0;
        if (tree.from(n, DraftTree.MODEL)) {
            p = e.model.estimate(NodeFeatures.modelCell(tree, n), r.model(tree, n), SEQ_STRENGTH);
        }
        if (tree.from(n, DraftTree.SUFFIX)) {
            p = Math.max(p, e.suffix.estimate(NodeFeatures.suffixCell(tree, n), r.suffix(tree, n), SEQ_STRENGTH));
        }
        if (tree.from(n, DraftTree.GRAMMAR)) {
            int cell = NodeFeatures.chainCell(tree, n);
            p = Math.max(p, e.grammar.estimate(cell, r.grammar(cell), SEQ_STRENGTH));
        }
        return p;
    }

    /** The chance that a model forward's candidates hold the target's token at {@code depth}, given depth-1 was reached. */
    double modelDepth(PlannedSequence s, int depth) {
        int cell = Math.min(depth, NodeFeatures.CHAIN_DEPTHS) - 1;
        return evidence(s).depth.estimate(cell, regime(s).depth(cell), SEQ_STRENGTH);
    }

    /** Rounds' worth of (decayed) evidence about the model's first position, across all sequences. */
    double modelEvidence() {
        return regimes[0].depthEvidence() + regimes[1].depthEvidence();
    }

    /** Learns which nodes were accepted given their parent was; {@code onPath} marks the accepted path. */
    void learn(PlannedSequence s, DraftTree tree, boolean[] onPath, long version) {
        Evidence e = evidence(s);
        AcceptanceRegime r = regime(s);
        boolean modelInTree = false;
        for (int n = 0; n < tree.size() && !modelInTree; n++) {
            modelInTree = tree.from(n, DraftTree.MODEL);
        }
        if (modelInTree && version > 0) {
            followDrafterVersion(e, version);
        }
        // per depth: did the model offer a candidate under an accepted parent, and was the accepted token one?
        int depth = tree.maxDepth();
        boolean[] offered = new boolean[depth + 1];
        boolean[] hit = new boolean[depth + 1];
        for (int n = 0; n < tree.size(); n++) {
            int p = tree.parent(n);
            if (p != DraftTree.ROOT && !onPath[p]) {
                continue;
            }
            boolean ok = onPath[n];
            r.learn(tree, n, ok);
            if (tree.from(n, DraftTree.MODEL)) {
                e.model.update(NodeFeatures.modelCell(tree, n), ok);
                offered[tree.depth(n)] = true;
                hit[tree.depth(n)] |= ok;
            }
            if (tree.from(n, DraftTree.SUFFIX)) {
                e.suffix.update(NodeFeatures.suffixCell(tree, n), ok);
            }
            if (tree.from(n, DraftTree.GRAMMAR)) {
                e.grammar.update(NodeFeatures.chainCell(tree, n), ok);
            }
        }
        for (int d = 1; d <= depth; d++) {
            if (offered[d]) {
                int cell = Math.min(d, NodeFeatures.CHAIN_DEPTHS) - 1;
                r.learnDepth(cell, hit[d]);
                e.depth.update(cell, hit[d]);
            }
        }
    }

    /** A new drafter version makes model evidence stale: fade it so estimates follow within a few rounds. */
    private void followDrafterVersion(Evidence e, long version) {
        if (drafterVersion >= 0 && version != drafterVersion) {
            for (AcceptanceRegime r : regimes) {
                r.fadeModel(0.1);
            }
        }
        drafterVersion = version;
        if (e.drafterVersion >= 0 && version != e.drafterVersion) {
            e.model.fade(0);
            e.depth.fade(0);
        }
        e.drafterVersion = version;
    }

    private Evidence evidence(PlannedSequence s) {
        return sequences.computeIfAbsent(s, k -> new Evidence());
    }
}
