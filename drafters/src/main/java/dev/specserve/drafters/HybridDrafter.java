package dev.specserve.drafters;

import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.DraftSession;
import dev.specserve.runtime.spec.DraftStats;
import dev.specserve.runtime.spec.DraftTree;
import dev.specserve.runtime.spec.Drafter;

/**
 * Suffix lookup and a drafter model in one tree: the model's proposals and the lookup's are merged under
 * one node budget, a token both propose being one node that records both sources. With
 * {@code maxForwards = 0} only the (free) lookup runs, so a planner can look at it before deciding whether
 * a model forward is worth buying. {@code hybrid} drafts the budget it is given; {@code auto} leaves the
 * budget to the goodput planner.
 */
public final class HybridDrafter implements Drafter {
    private final String name;
    private final SuffixDrafter lookup;
    private final Drafter model;
    private final DraftBudget cap;

    /**
     * @param cap for an adaptive drafter, the most the planner may draft when a request names no budget;
     *            null for a fixed-budget one
     */
    public HybridDrafter(String name, SuffixDrafter lookup, Drafter model, DraftBudget cap) {
        this.name = name;
        this.lookup = lookup;
        this.model = model;
        this.cap = cap;
    }

    @Override
    public DraftBudget defaultBudget(DraftBudget engineDefault) {
        return cap != null ? cap : engineDefault;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean adaptive() {
        return cap != null;
    }

    @Override
    public boolean hasModel() {
        return model != null;
    }

    public SuffixDrafter lookup() {
        return lookup;
    }

    @Override
    public DraftSession newSession() {
        DraftSession l = lookup.newSession();
        DraftSession m = model == null ? null : model.newSession();
        return new DraftSession() {
            private DraftStats last = DraftStats.NONE;

            @Override
            public void start(int[] prompt, float[] promptHidden, int firstToken) {
                l.start(prompt, promptHidden, firstToken);
                if (m != null) {
                    m.start(prompt, promptHidden, firstToken);
                }
            }

            @Override
            public void commit(int[] newTokens, float[] hiddenBefore) {
                l.commit(newTokens, hiddenBefore);
                if (m != null) {
                    m.commit(newTokens, hiddenBefore);
                }
            }

            @Override
            public DraftTree propose(DraftBudget budget) {
                DraftTree found = l.propose(budget);
                last = DraftStats.NONE;
                if (m == null || budget.maxForwards() == 0 || budget.empty()) {
                    return found;
                }
                DraftTree drafted = m.propose(budget);
                last = m.lastStats();
                return drafted.merge(found).prune(budget.maxNodes());
            }

            @Override
            public DraftStats lastStats() {
                return last;
            }

            @Override
            public void close() {
                l.close();
                if (m != null) {
                    m.close();
                }
            }
        };
    }
}
