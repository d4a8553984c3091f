package dev.specserve.drafters;

import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.DraftSession;
import dev.specserve.runtime.spec.DraftStats;
import dev.specserve.runtime.spec.DraftTree;
import dev.specserve.runtime.spec.Drafter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * SpecBlock drafting: each drafter forward yields blocks of K dependent slots. The first forward of a round
 * feeds the new context pairs and the first block; later forwards expand the best leaves, each expansion a
 * new block that inherits the hidden state of the slot that proposed its anchor token. Per-slot branching
 * comes from the rank head ({@code specblock}) or a fixed top-k ({@code specblock-static}).
 */
public final class SpecBlockDrafter implements Drafter {
    private final String name;
    private final Supplier<DrafterVersion> versions;
    private final BranchPolicy policy;
    private final DrafterConfig config;
    private final int cacheCapacity;
    private final int maxCatchUp;

    private SpecBlockDrafter(String name, Supplier<DrafterVersion> versions, BranchPolicy policy,
                             DrafterConfig config, int cacheCapacity, int maxCatchUp) {
        this.name = name;
        this.versions = versions;
        this.policy = policy;
        this.config = config;
        this.cacheCapacity = cacheCapacity;
        this.maxCatchUp = maxCatchUp;
    }

    /**
     * The same drafter feeding at most {@code pairs} pending context pairs per call, for a planner that may
     * leave it idle for many rounds (see {@link DrafterState}).
     */
    public SpecBlockDrafter withMaxCatchUp(int pairs) {
        return new SpecBlockDrafter(name, versions, policy, config, cacheCapacity, pairs);
    }

    public static SpecBlockDrafter withRankHead(Supplier<DrafterVersion> versions, DrafterConfig config,
                                                int cacheCapacity) {
        return new SpecBlockDrafter("specblock-fixed", versions, config.rankPolicy(), config, cacheCapacity,
                Integer.MAX_VALUE);
    }

    public static SpecBlockDrafter staticTopK(Supplier<DrafterVersion> versions, DrafterConfig config,
                                              int cacheCapacity) {
        return new SpecBlockDrafter("specblock-static", versions, BranchPolicy.fixed(config.staticTopK()), config,
                cacheCapacity, Integer.MAX_VALUE);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public DraftSession newSession() {
        return new Session(new DrafterState(versions, cacheCapacity, maxCatchUp));
    }

    /** Drafts every session in lock step: each drafting step of all of them is one batched drafter call. */
    @Override
    public DraftTree[] proposeAll(List<? extends DraftSession> sessions, List<DraftBudget> budgets) {
        List<Session> own = OwnSessions.of(sessions, Session.class);
        if (own == null) {
            return Drafter.super.proposeAll(sessions, budgets);
        }
        for (int i = 0; i < own.size(); i++) {
            own.get(i).begin(budgets.get(i));
        }
        List<Session> active = new ArrayList<>(own);
        for (active.removeIf(s -> s.step == null); !active.isEmpty(); active.removeIf(s -> s.step == null)) {
            List<DrafterState> states = new ArrayList<>(active.size());
            List<List<DraftRow>> rows = new ArrayList<>(active.size());
            int[] pairRows = new int[active.size()];
            for (int i = 0; i < active.size(); i++) {
                states.add(active.get(i).state);
                rows.add(active.get(i).step.rows());
                pairRows[i] = active.get(i).step.pairRows();
            }
            int[][] results = DrafterState.runAll(states, rows, pairRows);
            for (int i = 0; i < active.size(); i++) {
                active.get(i).absorb(results[i]);
            }
        }
        DraftTree[] trees = new DraftTree[own.size()];
        for (int i = 0; i < trees.length; i++) {
            trees[i] = own.get(i).finish();
        }
        return trees;
    }

    /** One drafter call of a round: its rows, how many lead pending context pairs, and what to do with the results. */
    private record Step(List<DraftRow> rows, int pairRows, Consumer<int[]> grow) {}

    private final class Session implements DraftSession {
        private final DrafterState state;
        private final List<Boolean> continued = new ArrayList<>();
        private DraftStats last = DraftStats.NONE;
        private DraftTree tree;
        private DraftBudget budget;
        private int calls;
        private Step step; // the next call of this round; null when the round's drafting is over

        Session(DrafterState state) {
            this.state = state;
        }

        @Override
        public void start(int[] prompt, float[] promptHidden, int firstToken) {
            state.start(prompt, promptHidden, firstToken);
        }

        @Override
        public void commit(int[] newTokens, float[] hiddenBefore) {
            state.commit(newTokens, hiddenBefore);
        }

        @Override
        public DraftTree propose(DraftBudget budget) {
            begin(budget);
            while (step != null) {
                absorb(state.run(step.rows(), step.pairRows()));
            }
            return finish();
        }

        void begin(DraftBudget budget) {
            state.beginRound();
            continued.clear();
            this.tree = new DraftTree();
            this.budget = budget;
            this.calls = 0;
            this.step = budget.empty() || budget.maxForwards() <= 0 ? null : firstBlock();
        }

        void absorb(int[] results) {
            step.grow().accept(results);
            calls++;
            step = calls < Math.min(config.maxBlocks(), budget.maxForwards()) ? expansion() : null;
        }

        DraftTree finish() {
            last = new DraftStats(state.forwards(), state.ortNanos(), state.versionId());
            return tree.withOriginHidden(state.slotHidden()).prune(budget.maxNodes());
        }

        /** The round's first call: every pending context pair, then the first block anchored at the last pair. */
        private Step firstBlock() {
            List<DraftRow> rows = state.pendingPairRows();
            int pairs = rows.size();
            int length = Math.min(state.blockSize(), budget.maxDepth());
            rows.addAll(state.firstBlockSlots(pairs - 1, length, state.cacheLength(), state.contextRowsAfter(pairs)));
            return new Step(rows, pairs, results -> {
                int[] block = new int[length];
                System.arraycopy(results, pairs - 1, block, 0, length);
                grow(DraftTree.ROOT, block);
            });
        }

        /** A call expanding the best unexpanded leaves by one block each; null when nothing is left to expand. */
        private Step expansion() {
            List<Integer> leaves = new ArrayList<>();
            for (int n = 0; n < tree.size(); n++) {
                if (!continued.get(n) && tree.depth(n) < budget.maxDepth()) {
                    leaves.add(n);
                }
            }
            if (leaves.isEmpty()) {
                return null;
            }
            leaves.sort(Comparator.comparingDouble(n -> -tree.score(n)));
            List<Integer> anchors = List.copyOf(leaves.subList(0, Math.min(config.expandWidth(), leaves.size())));
            List<DraftRow> rows = new ArrayList<>();
            int[] offsets = new int[anchors.size()];
            int[] lengths = new int[anchors.size()];
            for (int i = 0; i < anchors.size(); i++) {
                int node = anchors.get(i);
                offsets[i] = rows.size();
                lengths[i] = Math.min(state.blockSize(), budget.maxDepth() - tree.depth(node));
                rows.addAll(state.expansionBlock(state.slot(tree.origin(node)), tree.token(node), lengths[i],
                        offsets[i], state.cacheLength()));
                continued.set(node, true);
            }
            return new Step(rows, 0, results -> {
                for (int i = 0; i < anchors.size(); i++) {
                    int[] block = new int[lengths[i]];
                    System.arraycopy(results, offsets[i], block, 0, lengths[i]);
                    grow(anchors.get(i), block);
                }
            });
        }

        /** Adds a block's slots below {@code anchor}: slot k branches under the main child of slot k-1. */
        private void grow(int anchor, int[] block) {
            int parent = anchor;
            for (int k = 0; k < block.length; k++) {
                if (tree.depth(parent) >= budget.maxDepth()) {
                    return;
                }
                SlotResult slot = state.slot(block[k]);
                int branches = Math.min(policy.branches(slot), slot.topIds().length);
                if (branches == 0) {
                    return;
                }
                if (parent != DraftTree.ROOT) {
                    continued.set(parent, true);
                }
                int main = -1;
                for (int i = 0; i < branches; i++) {
                    int node = tree.add(parent, slot.topIds()[i], tree.score(parent) + slot.topLogprobs()[i], block[k]);
                    continued.add(false);
                    if (i == 0) {
                        main = node;
                    }
                }
                parent = main;
            }
        }

        @Override
        public DraftStats lastStats() {
            return last;
        }

        @Override
        public void close() {
            state.close();
        }
    }
}
