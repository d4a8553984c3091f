package dev.specserve.drafters;

import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.DraftSession;
import dev.specserve.runtime.spec.DraftStats;
import dev.specserve.runtime.spec.DraftTree;
import dev.specserve.runtime.spec.Drafter;
import java.util.ArrayList;
import java.util.List;

/**
 * Suffix lookup and a drafter model in one tree: the model's proposals and the lookup's are merged under
 * one node budget, a token both propose being one node that records both sources. With
 * {@code maxForwards = 0} only the (free) lookup runs, so a planner can look at it before deciding whether
 * a model forward is worth buying. {@code hybrid} drafts the budget it is given; {@code auto} leaves the
 * budget to the goodput planner. Without a lookup (null) it is the model alone under the planner
 * ({@code specblock}): the free tree is empty, and the planner decides whether a forward pays and how much of
 * its tree to verify.
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
        return new Session(lookup == null ? null : lookup.newSession(), model == null ? null : model.newSession());
    }

    /** Lookup for each session, then the model for those whose budget buys forwards, as one batched proposal. */
    @Override
    public DraftTree[] proposeAll(List<? extends DraftSession> sessions, List<DraftBudget> budgets) {
        List<Session> own = OwnSessions.of(sessions, Session.class);
        if (own == null) {
            return Drafter.super.proposeAll(sessions, budgets);
        }
        DraftTree[] trees = new DraftTree[own.size()];
        List<Integer> modelled = new ArrayList<>();
        for (int i = 0; i < trees.length; i++) {
            trees[i] = own.get(i).lookupOnly(budgets.get(i));
            if (own.get(i).wantsModel(budgets.get(i))) {
                modelled.add(i);
            }
        }
        if (!modelled.isEmpty()) {
            List<DraftSession> ms = new ArrayList<>(modelled.size());
            List<DraftBudget> mb = new ArrayList<>(modelled.size());
            for (int i : modelled) {
                ms.add(own.get(i).m);
                mb.add(budgets.get(i));
            }
            DraftTree[] drafted = model.proposeAll(ms, mb);
            for (int j = 0; j < drafted.length; j++) {
                int i = modelled.get(j);
                trees[i] = own.get(i).merged(drafted[j], trees[i], budgets.get(i));
            }
        }
        return trees;
    }

    private static final class Session implements DraftSession {
        private final DraftSession l;
        private final DraftSession m;
        private DraftStats last = DraftStats.NONE;

        Session(DraftSession lookup, DraftSession model) {
            this.l = lookup;
            this.m = model;
        }

        @Override
        public void start(int[] prompt, float[] promptHidden, int firstToken) {
            if (l != null) {
                l.start(prompt, promptHidden, firstToken);
            }
            if (m != null) {
                m.start(prompt, promptHidden, firstToken);
            }
        }

        @Override
        public void commit(int[] newTokens, float[] hiddenBefore) {
            if (l != null) {
                l.commit(newTokens, hiddenBefore);
            }
            if (m != null) {
                m.commit(newTokens, hiddenBefore);
            }
        }

        @Override
        public DraftTree propose(DraftBudget budget) {
            DraftTree found = lookupOnly(budget);
            return wantsModel(budget) ? merged(m.propose(budget), found, budget) : found;
        }

        DraftTree lookupOnly(DraftBudget budget) {
            last = DraftStats.NONE;
            return l == null ? new DraftTree() : l.propose(budget);
        }

        boolean wantsModel(DraftBudget budget) {
            return m != null && budget.maxForwards() > 0 && !budget.empty();
        }

        DraftTree merged(DraftTree drafted, DraftTree found, DraftBudget budget) {
            last = m.lastStats();
            return drafted.merge(found).prune(budget.maxNodes());
        }

        @Override
        public DraftStats lastStats() {
            return last;
        }

        @Override
        public void close() {
            if (l != null) {
                l.close();
            }
            if (m != null) {
                m.close();
            }
        }
    }
}
