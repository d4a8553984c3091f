package dev.specserve.runtime.plan;

import dev.specserve.runtime.spec.DraftBudget;

/**
 * The planner's memory of one sequence: what the drafter model has not been fed yet, whether this round called
 * it, and the lookup back-off. A lookup costs about as much as verifying half a node, so after
 * {@value #LOOKUP_PATIENCE} rounds in a row with nothing worth verifying (sampling from a flat distribution, text
 * that repeats nothing) the sequence looks up every second round, then every third and fourth, until a round
 * verifies a draft again. Not thread-safe (the planner locks).
 */
final class SequencePlan {
    /** Rounds with nothing to verify before lookups back off. */
    static final int LOOKUP_PATIENCE = 2;
    /** The most rounds in a row a backed-off sequence skips its lookup. */
    static final int MAX_LOOKUP_SKIP = 3;

    int tokensSinceModel;
    boolean calledModel;
    /** This round's tree: its raw expected accepted tokens, to learn from once verified. */
    double predictedRaw;
    private boolean lookedUp;
    private int emptyRounds;
    private int skipLookups;

    SequencePlan(int tokensSinceModel) {
        this.tokensSinceModel = tokensSinceModel;
    }

    /** This round's lookup budget: the sequence's own (no model forwards), or none while backed off. */
    DraftBudget lookupBudget(DraftBudget own) {
        lookedUp = skipLookups == 0;
        skipLookups = Math.max(0, skipLookups - 1);
        return lookedUp ? own.withMaxForwards(0) : DraftBudget.NONE;
    }

    /** After planning: whether the round verifies a draft (a round that did not look up changes nothing). */
    void afterRound(boolean verifiesDraft) {
        if (!lookedUp) {
            return;
        }
        emptyRounds = verifiesDraft ? 0 : emptyRounds + 1;
        skipLookups = Math.min(Math.max(0, emptyRounds - LOOKUP_PATIENCE + 1), MAX_LOOKUP_SKIP);
    }
}
