package dev.specserve.drafters;

/** How many children a block slot gets in the tree. */
@FunctionalInterface
interface BranchPolicy {
    /** Rank-head classes: rank 1 -> 1 branch, ranks 2-4 -> 4, ranks 5-10 -> 10, beyond 10 -> drop. */
    int[] RANK_CLASS_BRANCHES = {1, 4, 10, 0};

    int branches(SlotResult slot);

    /** The rank head's most likely class decides: 1, 4, 10 branches, or drop. */
    static BranchPolicy rankHead() {
        return slot -> RANK_CLASS_BRANCHES[slot.rankClass()];
    }

    /**
     * The rank head's class probabilities decide: the fewest branches (1, 4 or 10) whose cumulative probability
     * of covering the target's token reaches {@code coverage}; drop the slot when even 10 branches would cover
     * it with probability below {@code floor}. With a drafter that is often wrong the argmax class is "drop"
     * most of the time, although the top few tokens still hold the target's token often enough to pay.
     */
    static BranchPolicy rankHeadCoverage(double coverage, double floor) {
        return slot -> {
            float[] p = slot.rankProbs();
            double cum = 0;
            for (int c = 0; c < 3; c++) {
                cum += p[c];
                if (cum >= coverage) {
                    return RANK_CLASS_BRANCHES[c];
                }
            }
            return cum >= floor ? RANK_CLASS_BRANCHES[2] : 0;
        };
    }

    static BranchPolicy fixed(int topK) {
        return slot -> topK;
    }
}
