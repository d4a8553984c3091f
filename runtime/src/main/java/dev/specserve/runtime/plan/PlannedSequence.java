package dev.specserve.runtime.plan;

import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.DraftTree;
import java.util.List;

/** What the planner sees of a sequence: its drafting sources, its budget, and a way to ask for a tree. */
public interface PlannedSequence {
    /** True when the planner chooses this sequence's budget; false when its strategy fixes the budget. */
    boolean adaptive();

    /** True when a drafter model is among its sources, so model forwards can be bought. */
    boolean hasModel();

    /**
     * True when the sequence samples: a draft is then accepted with the target's probability of its token, not
     * whenever it is the target's top token, so the planner learns its acceptance apart from greedy sequences'.
     */
    default boolean sampled() {
        return false;
    }

    /** The fixed budget, or for an adaptive sequence the cap on what the planner may choose. */
    DraftBudget budget();

    /** Rows in the target's cache: the past a verification attends to. */
    int pastLength();

    /** Drafts a tree within {@code budget}; may be called more than once per round. */
    DraftTree propose(DraftBudget budget);

    /**
     * Drafts a tree for each of {@code batch} (sequences of the same round as this one) within its budget, in
     * order. Sequences on one drafter share its model calls: one batched call per drafting step. The default
     * drafts one by one.
     */
    default DraftTree[] proposeAll(List<? extends PlannedSequence> batch, List<DraftBudget> budgets) {
        DraftTree[] trees = new DraftTree[batch.size()];
        for (int i = 0; i < trees.length; i++) {
            trees[i] = batch.get(i).propose(budgets.get(i));
        }
        return trees;
    }
}
