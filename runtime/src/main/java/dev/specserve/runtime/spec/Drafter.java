package dev.specserve.runtime.spec;

import java.util.List;

/** A drafting strategy. It opens one {@link DraftSession} per sequence being decoded. */
public interface Drafter {
    String name();

    DraftSession newSession();

    /**
     * True when the goodput planner chooses this strategy's budget each round (up to the request's budget);
     * false when the strategy drafts exactly the budget it is given.
     */
    default boolean adaptive() {
        return false;
    }

    /** The budget for a request that names none: the engine's default, or an adaptive strategy's own cap. */
    default DraftBudget defaultBudget(DraftBudget engineDefault) {
        return engineDefault;
    }

    /** True when a drafter model is among the sources, so a budget's {@code maxForwards} matters. */
    default boolean hasModel() {
        return false;
    }

    /**
     * Proposes for several of this drafter's sessions at once, {@code budgets} in the same order. A drafter with
     * a model runs each drafting step for all of them as one batched model call; the default proposes one by one.
     */
    default DraftTree[] proposeAll(List<? extends DraftSession> sessions, List<DraftBudget> budgets) {
        DraftTree[] trees = new DraftTree[sessions.size()];
        for (int i = 0; i < trees.length; i++) {
            trees[i] = sessions.get(i).propose(budgets.get(i));
        }
        return trees;
    }
}
