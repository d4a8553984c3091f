package dev.specserve.drafters;

import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.DraftSession;
import dev.specserve.runtime.spec.DraftStats;
import dev.specserve.runtime.spec.DraftTree;
import dev.specserve.runtime.spec.Drafter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
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
        return new SpecBlockDrafter("specblock", versions, config.rankPolicy(), config, cacheCapacity,
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

    private final class Session implements DraftSession {
        private final DrafterState state;
        private final List<Boolean> continued = new ArrayList<>();
        private DraftStats last = DraftStats.NONE;

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
            state.beginRound();
            continued.clear();
            DraftTree tree = new DraftTree();
            if (!budget.empty() && budget.maxForwards() > 0) {
                firstBlock(tree, budget);
                for (int b = 1; b < Math.min(config.maxBlocks(), budget.maxForwards()); b++) {
                    if (!expand(tree, budget)) {
                        break;
                    }
                }
            }
            last = new DraftStats(state.forwards(), state.ortNanos(), state.versionId());
            return tree.withOriginHidden(state.slotHidden()).prune(budget.maxNodes());
        }

        private void firstBlock(DraftTree tree, DraftBudget budget) {
            List<DraftRow> rows = state.pendingPairRows();
            int pairs = rows.size();
            int length = Math.min(state.blockSize(), budget.maxDepth());
            rows.addAll(state.firstBlockSlots(pairs - 1, length, state.cacheLength(), state.contextRowsAfter(pairs)));
            int[] results = state.run(rows, pairs);
            int[] block = new int[length];
            System.arraycopy(results, pairs - 1, block, 0, length);
            grow(tree, DraftTree.ROOT, block, budget);
        }

        /** Expands the best unexpanded leaves by one block each, in one forward. False when nothing is left. */
        private boolean expand(DraftTree tree, DraftBudget budget) {
            List<Integer> leaves = new ArrayList<>();
            for (int n = 0; n < tree.size(); n++) {
                if (!continued.get(n) && tree.depth(n) < budget.maxDepth()) {
                    leaves.add(n);
                }
            }
            if (leaves.isEmpty()) {
                return false;
            }
            leaves.sort(Comparator.comparingDouble(n -> -tree.score(n)));
            List<Integer> anchors = leaves.subList(0, Math.min(config.expandWidth(), leaves.size()));
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
            int[] results = state.run(rows, 0);
            for (int i = 0; i < anchors.size(); i++) {
                int[] block = new int[lengths[i]];
                System.arraycopy(results, offsets[i], block, 0, lengths[i]);
                grow(tree, anchors.get(i), block, budget);
            }
            return true;
        }

        /** Adds a block's slots below {@code anchor}: slot k branches under the main child of slot k-1. */
        private void grow(DraftTree tree, int anchor, int[] block, DraftBudget budget) {
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
