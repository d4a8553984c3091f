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
 * <p>Greedy and sampling sequences learn apart ({@link Regime}): a sampled draft is accepted with the target's
 * probability of its token, often far less often than it is the top token. A feature cell nobody has observed
 * yet starts at the feature prior ({@link NodeFeatures}) scaled by how that prior has fared on the cells that
 * were observed, per source and regime: where drafts are accepted a third as often as the priors say, an
 * unseen cell starts at a third, so the planner does not keep buying nodes in every fresh cell.
 */
final class AcceptanceModel {
    private static final double SEQ_STRENGTH = 6;
    private static final double GLOBAL_STRENGTH = 4;

    private final Regime[] regimes = {new Regime(), new Regime()};
    private final Map<PlannedSequence, Evidence> sequences = new WeakHashMap<>();
    private long drafterVersion = -1;

    /** Global evidence of one way of verifying (greedy or sampled). */
    private static final class Regime {
        final AcceptanceTable model = new AcceptanceTable(NodeFeatures.MODEL_CELLS, 0.998);
        final AcceptanceTable suffix = new AcceptanceTable(NodeFeatures.SUFFIX_CELLS, 0.998);
        final AcceptanceTable depth = new AcceptanceTable(NodeFeatures.CHAIN_DEPTHS, 0.995);
        final Calibration modelPrior = new Calibration();
        final Calibration suffixPrior = new Calibration();
    }

    /** Accepted nodes against what the feature priors predicted for them, decayed; 1 until evidence says otherwise. */
    static final class Calibration {
        private static final double PSEUDO = 10;
        private static final double DECAY = 0.999;
        private double accepted;
        private double predicted;

        void update(double prior, boolean ok) {
            accepted = accepted * DECAY + (ok ? 1 : 0);
            predicted = predicted * DECAY + prior;
        }

        double ratio() {
            return Math.max(0.05, Math.min(2, (accepted + PSEUDO) / (predicted + PSEUDO)));
        }
    }

    private Regime regime(PlannedSequence s) {
        return regimes[s.sampled() ? 1 : 0];
    }

    /** One sequence's evidence, forgotten faster than the global one. */
    private static final class Evidence {
        final AcceptanceTable model = new AcceptanceTable(NodeFeatures.MODEL_CELLS, 0.95);
        final AcceptanceTable suffix = new AcceptanceTable(NodeFeatures.SUFFIX_CELLS, 0.95);
        final AcceptanceTable depth = new AcceptanceTable(NodeFeatures.CHAIN_DEPTHS, 0.9);
        long drafterVersion = -1;
    }

    /** Probability that each node is accepted: the product of conditional estimates along its path. */
    double[] nodeValues(PlannedSequence s, DraftTree tree) {
        Evidence e = evidence(s);
        Regime r = regime(s);
        double[] v = new double[tree.size()];
        for (int n = 0; n < v.length; n++) {
            int p = tree.parent(n);
            double parent = p == DraftTree.ROOT ? 1 : v[p];
            v[n] = parent * Math.min(conditional(r, e, tree, n), 0.999);
        }
        return v;
    }

    private double conditional(Regime r, Evidence e, DraftTree tree, int n) {
        double p = 0;
        if (tree.from(n, DraftTree.MODEL)) {
            int cell = NodeFeatures.modelCell(tree, n);
            double prior = NodeFeatures.modelPrior(tree, n) * r.modelPrior.ratio();
            p = Math.max(p, e.model.estimate(cell, r.model.estimate(cell, prior, GLOBAL_STRENGTH), SEQ_STRENGTH));
        }
        if (tree.from(n, DraftTree.SUFFIX)) {
            int cell = NodeFeatures.suffixCell(tree, n);
            double prior = NodeFeatures.suffixPrior(tree, n) * r.suffixPrior.ratio();
            p = Math.max(p, e.suffix.estimate(cell, r.suffix.estimate(cell, prior, GLOBAL_STRENGTH), SEQ_STRENGTH));
        }
        return p;
    }

    /** The chance that a model forward's candidates hold the target's token at {@code depth}, given depth-1 was reached. */
    double modelDepth(PlannedSequence s, int depth) {
        int cell = Math.min(depth, NodeFeatures.CHAIN_DEPTHS) - 1;
        double global = regime(s).depth.estimate(cell, depth == 1 ? 0.5 : 0.3, GLOBAL_STRENGTH);
        return evidence(s).depth.estimate(cell, global, SEQ_STRENGTH);
    }

    /** Rounds' worth of (decayed) evidence about the model's first position, across all sequences. */
    double modelEvidence() {
        return regimes[0].depth.seen(0) + regimes[1].depth.seen(0);
    }

    /** Learns which nodes were accepted given their parent was; {@code onPath} marks the accepted path. */
    void learn(PlannedSequence s, DraftTree tree, boolean[] onPath, long version) {
        Evidence e = evidence(s);
        Regime r = regime(s);
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
            if (tree.from(n, DraftTree.MODEL)) {
                int cell = NodeFeatures.modelCell(tree, n);
                r.model.update(cell, ok);
                r.modelPrior.update(NodeFeatures.modelPrior(tree, n), ok);
                e.model.update(cell, ok);
                offered[tree.depth(n)] = true;
                hit[tree.depth(n)] |= ok;
            }
            if (tree.from(n, DraftTree.SUFFIX)) {
                int cell = NodeFeatures.suffixCell(tree, n);
                r.suffix.update(cell, ok);
                r.suffixPrior.update(NodeFeatures.suffixPrior(tree, n), ok);
                e.suffix.update(cell, ok);
            }
        }
        for (int d = 1; d <= depth; d++) {
            if (offered[d]) {
                int cell = Math.min(d, NodeFeatures.CHAIN_DEPTHS) - 1;
                r.depth.update(cell, hit[d]);
                e.depth.update(cell, hit[d]);
            }
        }
    }

    /** A new drafter version makes model evidence stale: fade it so estimates follow within a few rounds. */
    private void followDrafterVersion(Evidence e, long version) {
        if (drafterVersion >= 0 && version != drafterVersion) {
            for (Regime r : regimes) {
                r.model.fade(0.1);
                r.depth.fade(0.1);
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
