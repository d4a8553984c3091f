package dev.specserve.drafters;

/** How many children a block slot gets in the tree. */
@FunctionalInterface
interface BranchPolicy {
    /** Rank-head classes: rank 1 -> 1 branch, ranks 2-4 -> 4, ranks 5-10 -> 10, beyond 10 -> drop. */
    int[] RANK_CLASS_BRANCHES = {1, 4, 10, 0};

    int branches(SlotResult slot);

    static BranchPolicy rankHead() {
        return slot -> RANK_CLASS_BRANCHES[slot.rankClass()];
    }

    static BranchPolicy fixed(int topK) {
        return slot -> topK;
    }
}
