package dev.specserve.runtime.plan;

import dev.specserve.runtime.spec.DraftTree;

/**
 * The global acceptance evidence of one way of verifying, greedy or sampled (a sampled draft is accepted with the
 * target's probability of its token, often far less often than it is the top token): per feature cell, per chain
 * depth, and how the feature priors ({@link NodeFeatures}) have fared on the cells observed. A cell nobody has
 * observed yet starts at its prior scaled by that: where drafts are accepted a third as often as the priors say,
 * an unseen cell starts at a third, so the planner does not keep buying nodes in every fresh cell. Not thread-safe.
 */
final class AcceptanceRegime {
    private static final double STRENGTH = 4;

    private final AcceptanceTable model = new AcceptanceTable(NodeFeatures.MODEL_CELLS, 0.998);
    private final AcceptanceTable suffix = new AcceptanceTable(NodeFeatures.SUFFIX_CELLS, 0.998);
    private final AcceptanceTable depth = new AcceptanceTable(NodeFeatures.CHAIN_DEPTHS, 0.995);
    private final AcceptanceTable grammar = new AcceptanceTable(NodeFeatures.CHAIN_DEPTHS, 0.995);
    private final Calibration modelPrior = new Calibration();
    private final Calibration suffixPrior = new Calibration();
    /** Accepted tokens against the raw values of the trees verified: how far the estimates run high when chosen. */
    private final Calibration chosen = new Calibration();

    /** The global estimate for a model node (the per-sequence estimate's prior). */
    double model(DraftTree t, int n) {
        return model.estimate(NodeFeatures.modelCell(t, n), NodeFeatures.modelPrior(t, n) * modelPrior.ratio(), STRENGTH);
    }

    /** The global estimate for a lookup node. */
    double suffix(DraftTree t, int n) {
        return suffix.estimate(NodeFeatures.suffixCell(t, n), NodeFeatures.suffixPrior(t, n) * suffixPrior.ratio(),
                STRENGTH);
    }

    /**
     * The global estimate for a node the output grammar forces, by depth: high (the bytes are certain; only the
     * target's split of them into tokens may differ) until evidence says otherwise.
     */
    double grammar(int cell) {
        return grammar.estimate(cell, GRAMMAR_PRIOR, STRENGTH);
    }

    static final double GRAMMAR_PRIOR = 0.9;

    /** The chance that a model forward's candidates hold the target's token at chain depth {@code cell + 1}. */
    double depth(int cell) {
        return depth.estimate(cell, cell == 0 ? 0.5 : 0.3, STRENGTH);
    }

    double depthEvidence() {
        return depth.seen(0);
    }

    /** Node {@code n}, whose parent was accepted, was accepted or not. */
    void learn(DraftTree t, int n, boolean ok) {
        if (t.from(n, DraftTree.MODEL)) {
            model.update(NodeFeatures.modelCell(t, n), ok);
            modelPrior.update(NodeFeatures.modelPrior(t, n), ok);
        }
        if (t.from(n, DraftTree.SUFFIX)) {
            suffix.update(NodeFeatures.suffixCell(t, n), ok);
            suffixPrior.update(NodeFeatures.suffixPrior(t, n), ok);
        }
        if (t.from(n, DraftTree.GRAMMAR)) {
            grammar.update(NodeFeatures.chainCell(t, n), ok);
        }
    }

    /**
     * A verified tree's raw expected accepted tokens against those it got. Choosing the nodes whose estimates are
     * highest picks, among equally good nodes, those overestimated (the optimizer's curse); sampled rounds run
     * 10-12% high here, greedy ones a few percent.
     */
    void learnChosen(double predicted, int accepted) {
        chosen.update(predicted, accepted);
    }

    /** What the estimates are worth once chosen: realised over predicted acceptance of verified trees, about 1. */
    double chosenRatio() {
        return Math.max(0.5, Math.min(1.5, chosen.ratio()));
    }

    void learnDepth(int cell, boolean hit) {
        depth.update(cell, hit);
    }

    /** A new drafter version: keep {@code keep} of the model's evidence. */
    void fadeModel(double keep) {
        model.fade(keep);
        depth.fade(keep);
    }

    /** Accepted nodes against what the feature priors predicted for them, decayed; 1 until evidence says otherwise. */
    private static final class Calibration {
        private static final double PSEUDO = 10;
        private static final double DECAY = 0.999;
        private double accepted;
        private double predicted;

        void update(double prior, boolean ok) {
            update(prior, ok ? 1 : 0);
        }

        void update(double prior, double outcome) {
            accepted = accepted * DECAY + outcome;
            predicted = predicted * DECAY + prior;
        }

        double ratio() {
            return Math.max(0.05, Math.min(2, (accepted + PSEUDO) / (predicted + PSEUDO)));
        }
    }
}
