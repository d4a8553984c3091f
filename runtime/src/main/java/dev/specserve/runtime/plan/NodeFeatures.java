package dev.specserve.runtime.plan;

import dev.specserve.runtime.spec.DraftTree;

/**
 * Feature cells for acceptance estimates. A model node is binned by depth and the drafter's probability; a
 * lookup node by the length of the context match behind it (which grows by one per accepted ancestor), its
 * continuation frequency and the number of occurrences supporting it.
 */
final class NodeFeatures {
    static final int CONF_BINS = 6;
    static final int MODEL_DEPTHS = 6;
    static final int MODEL_CELLS = MODEL_DEPTHS * CONF_BINS;
    static final int MATCH_BINS = 9;
    static final int SUPPORT_BINS = 3;
    static final int SUFFIX_CELLS = MATCH_BINS * CONF_BINS * SUPPORT_BINS;
    static final int CHAIN_DEPTHS = 16;

    private NodeFeatures() {}

    static int confBin(float p) {
        if (p < 0.2f) {
            return 0;
        } else if (p < 0.4f) {
            return 1;
        } else if (p < 0.6f) {
            return 2;
        } else if (p < 0.8f) {
            return 3;
        } else if (p < 0.95f) {
            return 4;
        }
        return 5;
    }

    static double confCenter(int bin) {
        return switch (bin) {
            case 0 -> 0.1;
            case 1 -> 0.3;
            case 2 -> 0.5;
            case 3 -> 0.7;
            case 4 -> 0.87;
            default -> 0.97;
        };
    }

    static int modelCell(DraftTree t, int node) {
        int d = Math.min(t.depth(node), MODEL_DEPTHS) - 1;
        return d * CONF_BINS + confBin(t.modelConfidence(node));
    }

    /** The drafter's own probability, shrunk a little: an uncalibrated drafter is overconfident. */
    static double modelPrior(DraftTree t, int node) {
        return 0.8 * t.modelConfidence(node);
    }

    static int matchBin(int length) {
        if (length <= 4) {
            return Math.max(0, length - 1); // 1,2,3,4 -> 0..3
        } else if (length <= 6) {
            return 4;
        } else if (length <= 9) {
            return 5;
        } else if (length <= 14) {
            return 6;
        } else if (length <= 24) {
            return 7;
        }
        return 8;
    }

    static int supportBin(int support) {
        return support <= 1 ? 0 : support <= 3 ? 1 : 2;
    }

    static int suffixCell(DraftTree t, int node) {
        int match = t.suffixMatch(node) + t.depth(node) - 1;
        return (matchBin(match) * CONF_BINS + confBin(t.suffixConfidence(node))) * SUPPORT_BINS
                + supportBin(t.suffixSupport(node));
    }

    /** A node's depth as a cell of the per-depth tables. */
    static int chainCell(DraftTree t, int node) {
        return Math.min(t.depth(node), CHAIN_DEPTHS) - 1;
    }

    static double suffixPrior(DraftTree t, int node) {
        int match = t.suffixMatch(node) + t.depth(node) - 1;
        return t.suffixConfidence(node) * Math.min(0.9, 0.5 + 0.05 * match);
    }
}
