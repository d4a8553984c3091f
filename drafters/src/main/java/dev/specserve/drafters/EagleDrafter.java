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
 * EAGLE-2 style baseline on the same drafter model, run autoregressively: one position per forward.
 * Each depth expands the top-k children of every frontier node, keeps the best k by cumulative
 * log-prob as the next frontier, and the final tree is the best nodes overall.
 */
public final class EagleDrafter implements Drafter {
    private final Supplier<DrafterVersion> versions;
    private final DrafterConfig config;
    private final int cacheCapacity;

    public EagleDrafter(Supplier<DrafterVersion> versions, DrafterConfig config, int cacheCapacity) {
        this.versions = versions;
        this.config = config;
        this.cacheCapacity = cacheCapacity;
    }

    @Override
    public String name() {
        return "eagle";
    }

    @Override
    public DraftSession newSession() {
        DrafterState state = new DrafterState(versions, cacheCapacity);
        return new DraftSession() {
            private DraftStats last = DraftStats.NONE;

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
                DraftTree tree = new DraftTree();
                if (!budget.empty() && budget.maxForwards() > 0) {
                    grow(tree, budget);
                }
                last = new DraftStats(state.forwards(), state.ortNanos(), state.versionId());
                return tree.withOriginHidden(state.slotHidden()).prune(budget.maxNodes());
            }

            private void grow(DraftTree tree, DraftBudget budget) {
                List<DraftRow> rows = state.pendingPairRows();
                int[] results = state.run(rows, rows.size());
                List<Integer> frontier = addChildren(tree, DraftTree.ROOT, results[results.length - 1]);
                int depthLimit = (int) Math.min(budget.maxDepth(), (long) budget.maxForwards());
                for (int depth = 2; depth <= depthLimit && !frontier.isEmpty(); depth++) {
                    List<DraftRow> anchors = new ArrayList<>();
                    int base = state.cacheLength();
                    for (int i = 0; i < frontier.size(); i++) {
                        int node = frontier.get(i);
                        anchors.addAll(state.expansionBlock(state.slot(tree.origin(node)), tree.token(node), 1, i, base));
                    }
                    int[] expanded = state.run(anchors, 0);
                    List<Integer> candidates = new ArrayList<>();
                    for (int i = 0; i < frontier.size(); i++) {
                        candidates.addAll(addChildren(tree, frontier.get(i), expanded[i]));
                    }
                    candidates.sort(Comparator.comparingDouble(n -> -tree.score(n)));
                    frontier = candidates.subList(0, Math.min(config.eagleTopK(), candidates.size()));
                }
            }

            private List<Integer> addChildren(DraftTree tree, int parent, int slotIndex) {
                SlotResult slot = state.slot(slotIndex);
                List<Integer> added = new ArrayList<>();
                int k = Math.min(config.eagleTopK(), slot.topIds().length);
                for (int i = 0; i < k; i++) {
                    added.add(tree.add(parent, slot.topIds()[i], tree.score(parent) + slot.topLogprobs()[i],
                            slotIndex));
                }
                return added;
            }

            @Override
            public DraftStats lastStats() {
                return last;
            }

            @Override
            public void close() {
                state.close();
            }
        };
    }
}
