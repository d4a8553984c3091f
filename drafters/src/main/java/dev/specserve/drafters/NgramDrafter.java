package dev.specserve.drafters;

import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.DraftSession;
import dev.specserve.runtime.spec.DraftStats;
import dev.specserve.runtime.spec.DraftTree;
import dev.specserve.runtime.spec.Drafter;
import java.util.Arrays;

/**
 * Prompt-lookup drafting, model-free: find the longest recent suffix (up to n tokens) that occurred
 * earlier in the sequence and propose what followed it. Distinct continuations of the most recent
 * matches become branches of the tree.
 */
public final class NgramDrafter implements Drafter {
    private final DrafterConfig config;

    public NgramDrafter(DrafterConfig config) {
        this.config = config;
    }

    @Override
    public String name() {
        return "ngram";
    }

    @Override
    public DraftSession newSession() {
        return new DraftSession() {
            private int[] history = new int[256];
            private int length;

            @Override
            public void start(int[] prompt, float[] promptHidden, int firstToken) {
                for (int t : prompt) {
                    push(t);
                }
                push(firstToken);
            }

            @Override
            public void commit(int[] newTokens, float[] hiddenBefore) {
                for (int t : newTokens) {
                    push(t);
                }
            }

            private void push(int t) {
                if (length == history.length) {
                    history = Arrays.copyOf(history, length * 2);
                }
                history[length++] = t;
            }

            @Override
            public DraftTree propose(DraftBudget budget) {
                DraftTree tree = new DraftTree();
                for (int n = Math.min(config.ngramMax(), length - 1); n >= 1 && tree.size() == 0; n--) {
                    addMatches(tree, n, budget);
                }
                return tree.prune(budget.maxNodes());
            }

            private void addMatches(DraftTree tree, int n, DraftBudget budget) {
                int found = 0;
                for (int end = length - 1; end >= n && found < config.ngramBranches(); end--) {
                    if (!suffixMatchesAt(end, n)) {
                        continue;
                    }
                    found++;
                    int parent = DraftTree.ROOT;
                    for (int d = 0; d < budget.maxDepth() && end + d < length; d++) {
                        int token = history[end + d];
                        int child = childWithToken(tree, parent, token);
                        parent = child >= 0 ? child : tree.addLookup(parent, token, -found - 0.01f * d, 1f / found, n, 1);
                    }
                }
            }

            /** history[end-n, end) equals the last n tokens, and end is not the current end. */
            private boolean suffixMatchesAt(int end, int n) {
                if (end >= length) {
                    return false;
                }
                for (int i = 1; i <= n; i++) {
                    if (history[end - i] != history[length - i]) {
                        return false;
                    }
                }
                return true;
            }

            private int childWithToken(DraftTree tree, int parent, int token) {
                for (int c : tree.children(parent)) {
                    if (tree.token(c) == token) {
                        return c;
                    }
                }
                return -1;
            }

            @Override
            public DraftStats lastStats() {
                return DraftStats.NONE;
            }

            @Override
            public void close() {}
        };
    }
}
