package dev.specserve.drafters;

import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.DraftSession;
import dev.specserve.runtime.spec.DraftStats;
import dev.specserve.runtime.spec.DraftTree;
import dev.specserve.runtime.spec.Drafter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Model-free drafting in the spirit of SuffixDecoding: the context's suffix is looked up in the request's
 * own prompt and output and in a shared index of earlier outputs; the continuations of the best matches
 * form a tree whose nodes are scored by empirical frequency. Speculation goes deeper where the match is
 * longer ({@link SuffixConfig#specFactor}). With a {@link LookupCorpus} (the model's datastore of its own
 * continuations), the corpus's continuations of the longest match join the tree; where both propose a path, the
 * request's own evidence labels it. Drafting costs lookups and comparisons, no model call.
 */
public final class SuffixDrafter implements Drafter {
    private final SuffixConfig config;
    private final SuffixIndex shared;
    private final LookupCorpus corpus;

    public SuffixDrafter(SuffixConfig config) {
        this(config, null);
    }

    /** @param corpus the model's lookup corpus, or null; used only when {@link SuffixConfig#corpus()} is set */
    public SuffixDrafter(SuffixConfig config, LookupCorpus corpus) {
        this.config = config;
        this.corpus = config.corpus() ? corpus : null;
        this.shared = config.globalTokens() > 0 ? SuffixIndex.bounded(config.globalTokens()) : null;
    }

    @Override
    public String name() {
        return "suffix";
    }

    /** The index of earlier outputs shared by this drafter's sessions, or null when disabled. */
    public SuffixIndex shared() {
        return shared;
    }

    @Override
    public Session newSession() {
        return new Session();
    }

    /** One request's lookup state. */
    public final class Session implements DraftSession {
        private final SuffixIndex own = SuffixIndex.growing();
        private final SuffixArray.Cursor corpusMatch = new SuffixArray.Cursor();
        private int promptLength;

        @Override
        public void start(int[] prompt, float[] promptHidden, int firstToken) {
            for (int t : prompt) {
                own.append(t);
            }
            promptLength = prompt.length;
            own.append(firstToken);
        }

        @Override
        public void commit(int[] newTokens, float[] hiddenBefore) {
            for (int t : newTokens) {
                own.append(t);
            }
        }

        @Override
        public DraftTree propose(DraftBudget budget) {
            DraftTree tree = new DraftTree();
            if (budget.empty()) {
                return tree;
            }
            int[] context = own.view();
            int length = own.length();
            List<SuffixIndex.Match> matches = new ArrayList<>();
            own.collect(context, length, config.maxMatch(), config.candidates(), matches);
            if (shared != null) {
                shared.collect(context, length, config.maxMatch(), config.candidates(), matches);
            }
            if (!matches.isEmpty()) {
                build(tree, matches, budget);
            }
            if (corpus != null) { // merged only when both found something: a merge copies the tree
                DraftTree found = corpus.draft(corpusMatch, context, length, config.maxMatch(), config.specFactor(),
                        budget.maxNodes(), budget.maxDepth());
                tree = tree.size() == 0 ? found : found.size() == 0 ? tree : found.merge(tree);
            }
            return tree.prune(budget.maxNodes());
        }

        /** Continuations of the longest matches, merged into a counted trie, then emitted with frequencies. */
        private void build(DraftTree tree, List<SuffixIndex.Match> matches, DraftBudget budget) {
            int best = 0;
            for (SuffixIndex.Match m : matches) {
                best = Math.max(best, m.length());
            }
            Trie trie = new Trie();
            for (SuffixIndex.Match m : matches) {
                if (m.length() * 2 < best) {
                    continue; // much shorter than the best match: a weaker context, left out
                }
                int depth = (int) Math.min(budget.maxDepth(), Math.ceil(config.specFactor() * m.length()));
                depth = Math.min(depth, m.end() - m.start());
                trie.insert(m.tokens(), m.start(), depth, m.length());
            }
            trie.emit(tree);
        }

        @Override
        public DraftStats lastStats() {
            return DraftStats.NONE;
        }

        /** The request's output (and prompt, if so configured) joins the shared index, for later requests. */
        @Override
        public void close() {
            int from = config.indexPrompts() ? 0 : promptLength;
            if (shared != null && own.length() > from + 1) {
                shared.add(Arrays.copyOfRange(own.view(), from, own.length()));
            }
        }
    }

    /** A small counted trie of continuations. */
    private static final class Trie {
        private int[] parent = new int[32];
        private int[] token = new int[32];
        private int[] count = new int[32];
        private int[] match = new int[32];
        private int size;
        private int total;

        void insert(int[] tokens, int start, int depth, int matchLength) {
            total++;
            int node = -1;
            for (int k = 0; k < depth; k++) {
                int t = tokens[start + k];
                int child = find(node, t);
                if (child < 0) {
                    child = add(node, t);
                }
                count[child]++;
                match[child] = Math.max(match[child], matchLength);
                node = child;
            }
        }

        private int find(int p, int t) {
            for (int i = 0; i < size; i++) {
                if (parent[i] == p && token[i] == t) {
                    return i;
                }
            }
            return -1;
        }

        private int add(int p, int t) {
            if (size == parent.length) {
                parent = Arrays.copyOf(parent, size * 2);
                token = Arrays.copyOf(token, size * 2);
                count = Arrays.copyOf(count, size * 2);
                match = Arrays.copyOf(match, size * 2);
            }
            parent[size] = p;
            token[size] = t;
            count[size] = 0;
            match[size] = 0;
            return size++;
        }

        /** Nodes in creation order (parents first), each with its frequency among its siblings' occurrences. */
        void emit(DraftTree tree) {
            int[] node = new int[size];
            for (int i = 0; i < size; i++) {
                int p = parent[i];
                int parentCount = p < 0 ? total : count[p];
                float freq = (float) count[i] / parentCount;
                int treeParent = p < 0 ? DraftTree.ROOT : node[p];
                float score = tree.score(treeParent) + (float) Math.log(freq);
                node[i] = tree.addLookup(treeParent, token[i], score, freq, match[i], count[i]);
            }
        }
    }
}
