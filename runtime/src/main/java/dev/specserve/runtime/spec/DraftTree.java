package dev.specserve.runtime.spec;

import dev.specserve.runtime.model.Masks;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A draft tree rooted at the last committed token. Nodes are kept in creation order, so a parent always
 * precedes its children. Each node has a token, a depth (root = 0), a score (cumulative drafter log-prob)
 * and an {@code origin}: an index the drafter uses to find its own state for the node (-1 if none).
 *
 * <p>Each node also records which sources proposed it ({@link #MODEL}, {@link #SUFFIX}, or both after a
 * merge) and, per source, the source's own confidence that the node follows its parent. The planner turns
 * those into acceptance estimates; feedback counts drafted and accepted tokens per source.
 */
public final class DraftTree {
    public static final int ROOT = -1;
    /** Source bit: a drafter model (SpecBlock, EAGLE). */
    public static final int MODEL = 1;
    /** Source bit: model-free lookup (suffix index, n-gram). */
    public static final int SUFFIX = 2;
    /** Source bit: a lookup node the model's lookup corpus proposed (set with {@link #SUFFIX}; for accounting). */
    public static final int CORPUS = 4;
    /**
     * Source bit: text the request's output grammar forces (a JSON schema's keys and punctuation), tokenized: free to
     * draft, and accepted unless the target splits the same bytes into other tokens.
     */
    public static final int GRAMMAR = 8;

    private int[] parent = new int[16];
    private int[] token = new int[16];
    private int[] depth = new int[16];
    private float[] score = new float[16];
    private int[] origin = new int[16];
    private int[] sources = new int[16];
    private float[] modelConf = new float[16];
    private float[] suffixConf = new float[16];
    private int[] suffixMatch = new int[16];
    private int[] suffixSupport = new int[16];
    private int size;
    private float[][] originHidden;

    public static DraftTree empty() {
        return new DraftTree();
    }

    /** Adds a node proposed by a drafter model; its confidence is the drafter's probability of the token. */
    public int add(int parentNode, int tokenId, float cumulativeScore, int originIndex) {
        int n = append(parentNode, tokenId, cumulativeScore, originIndex);
        sources[n] = MODEL;
        modelConf[n] = (float) Math.exp(cumulativeScore - score(parentNode));
        return n;
    }

    /**
     * Adds a node proposed by model-free lookup: {@code frequency} is the share of matched continuations
     * that chose this token, {@code matchLength} the length of the context match behind it and
     * {@code support} the number of occurrences behind it.
     */
    public int addLookup(int parentNode, int tokenId, float cumulativeScore, float frequency, int matchLength,
                         int support) {
        int n = append(parentNode, tokenId, cumulativeScore, -1);
        sources[n] = SUFFIX;
        suffixConf[n] = frequency;
        suffixMatch[n] = matchLength;
        suffixSupport[n] = support;
        return n;
    }

    private int append(int parentNode, int tokenId, float cumulativeScore, int originIndex) {
        if (parentNode >= size || parentNode < ROOT) {
            throw new IllegalArgumentException("parent " + parentNode + " does not exist in a tree of " + size);
        }
        if (size == parent.length) {
            int n = size * 2;
            parent = Arrays.copyOf(parent, n);
            token = Arrays.copyOf(token, n);
            depth = Arrays.copyOf(depth, n);
            score = Arrays.copyOf(score, n);
            origin = Arrays.copyOf(origin, n);
            sources = Arrays.copyOf(sources, n);
            modelConf = Arrays.copyOf(modelConf, n);
            suffixConf = Arrays.copyOf(suffixConf, n);
            suffixMatch = Arrays.copyOf(suffixMatch, n);
            suffixSupport = Arrays.copyOf(suffixSupport, n);
        }
        parent[size] = parentNode;
        token[size] = tokenId;
        depth[size] = parentNode == ROOT ? 1 : depth[parentNode] + 1;
        score[size] = cumulativeScore;
        origin[size] = originIndex;
        sources[size] = 0;
        modelConf[size] = 0f;
        suffixConf[size] = 0f;
        suffixMatch[size] = 0;
        suffixSupport[size] = 0;
        return size++;
    }

    /** A chain of the tokens an output grammar forces ({@link #GRAMMAR}), at most {@code maxDepth} deep. */
    public static DraftTree forced(int[] tokens, int maxDepth) {
        DraftTree t = new DraftTree();
        int parentNode = ROOT;
        for (int i = 0; i < Math.min(tokens.length, maxDepth); i++) {
            parentNode = t.append(parentNode, tokens[i], 0f, -1);
            t.sources[parentNode] = GRAMMAR;
        }
        return t;
    }

    /** Marks a lookup node as proposed by the model's lookup corpus ({@link #CORPUS}). */
    public void markCorpus(int node) {
        sources[node] |= CORPUS;
    }

    /** Source bits of the node ({@link #MODEL}, {@link #SUFFIX}, {@link #CORPUS}). */
    public int sources(int node) {
        return sources[node];
    }

    public boolean from(int node, int source) {
        return (sources[node] & source) != 0;
    }

    /** The drafter model's probability of the node's token (meaningful when {@link #from} MODEL). */
    public float modelConfidence(int node) {
        return modelConf[node];
    }

    /** The lookup's continuation frequency for the node (meaningful when {@link #from} SUFFIX). */
    public float suffixConfidence(int node) {
        return suffixConf[node];
    }

    public int suffixMatch(int node) {
        return suffixMatch[node];
    }

    public int suffixSupport(int node) {
        return suffixSupport[node];
    }

    /** The child of {@code node} (ROOT for the root) carrying {@code tokenId}, or -1. */
    public int child(int node, int tokenId) {
        for (int i = 0; i < size; i++) {
            if (parent[i] == node && token[i] == tokenId) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Merges {@code other} into a copy of this tree: a token both propose under the same parent becomes one
     * node carrying both sources. Origins (and so origin hidden states) are kept from whichever tree has
     * them, so call this on the model's tree when there is one.
     */
    public DraftTree merge(DraftTree other) {
        DraftTree t = copy();
        int[] remap = new int[other.size];
        for (int i = 0; i < other.size; i++) {
            int p = other.parent[i] == ROOT ? ROOT : remap[other.parent[i]];
            int existing = t.child(p, other.token[i]);
            int n = existing >= 0 ? existing : t.append(p, other.token[i], other.score[i], other.origin[i]);
            if (existing >= 0 && t.origin[n] < 0) {
                t.origin[n] = other.origin[i];
            }
            t.sources[n] |= other.sources[i];
            if ((other.sources[i] & MODEL) != 0) {
                t.modelConf[n] = other.modelConf[i];
            }
            if ((other.sources[i] & SUFFIX) != 0) {
                t.suffixConf[n] = other.suffixConf[i];
                t.suffixMatch[n] = other.suffixMatch[i];
                t.suffixSupport[n] = other.suffixSupport[i];
            }
            t.score[n] = Math.max(t.score[n], other.score[i]);
            remap[i] = n;
        }
        if (t.originHidden == null) {
            t.originHidden = other.originHidden;
        }
        return t;
    }

    private DraftTree copy() {
        DraftTree t = new DraftTree();
        t.retainInto(null, this);
        t.originHidden = originHidden;
        return t;
    }

    public int size() {
        return size;
    }

    public int parent(int node) {
        return parent[node];
    }

    public int token(int node) {
        return token[node];
    }

    public int depth(int node) {
        return node == ROOT ? 0 : depth[node];
    }

    public float score(int node) {
        return node == ROOT ? 0f : score[node];
    }

    public int origin(int node) {
        return origin[node];
    }

    /**
     * Attaches the drafter's output hidden states, indexed by node origin, so verification feedback can
     * carry training samples. Model-free drafters attach nothing.
     */
    public DraftTree withOriginHidden(float[][] hiddenByOrigin) {
        this.originHidden = hiddenByOrigin;
        return this;
    }

    /** The drafter hidden state that proposed the node's token, or null when unknown. */
    public float[] originHidden(int node) {
        int o = origin[node];
        return originHidden == null || o < 0 || o >= originHidden.length ? null : originHidden[o];
    }

    public int maxDepth() {
        int d = 0;
        for (int i = 0; i < size; i++) {
            d = Math.max(d, depth[i]);
        }
        return d;
    }

    /** Children of {@code node} (ROOT for the root), best score first. */
    public List<Integer> children(int node) {
        List<Integer> c = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            if (parent[i] == node) {
                c.add(i);
            }
        }
        c.sort((a, b) -> Float.compare(score[b], score[a]));
        return c;
    }

    /** The best {@code maxNodes} nodes by score, closed under ancestors, in creation order. */
    public DraftTree prune(int maxNodes) {
        if (size <= maxNodes) {
            return this;
        }
        return pruned(maxNodes);
    }

    private DraftTree pruned(int maxNodes) {
        Integer[] order = new Integer[size];
        for (int i = 0; i < size; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> score[a] != score[b] ? Float.compare(score[b], score[a]) : Integer.compare(depth[a], depth[b]));
        boolean[] keep = new boolean[size];
        int kept = 0;
        for (int i = 0; i < size && kept < maxNodes; i++) {
            int n = order[i];
            int missing = 0;
            for (int a = n; a != ROOT && !keep[a]; a = parent[a]) {
                missing++;
            }
            if (kept + missing > maxNodes) {
                continue;
            }
            for (int a = n; a != ROOT && !keep[a]; a = parent[a]) {
                keep[a] = true;
                kept++;
            }
        }
        return retain(keep);
    }

    /**
     * The nodes marked in {@code keep} (which must be closed under ancestors), in creation order, with all
     * their metadata and this tree's origin hidden states.
     */
    public DraftTree retain(boolean[] keep) {
        DraftTree t = new DraftTree();
        t.retainInto(keep, this);
        t.originHidden = originHidden;
        return t;
    }

    private void retainInto(boolean[] keep, DraftTree from) {
        int[] remap = new int[from.size];
        for (int i = 0; i < from.size; i++) {
            if (keep != null && !keep[i]) {
                remap[i] = Integer.MIN_VALUE;
                continue;
            }
            int p = from.parent[i];
            if (p != ROOT && remap[p] == Integer.MIN_VALUE) {
                throw new IllegalArgumentException("node " + i + " is kept but its parent " + p + " is not");
            }
            int n = append(p == ROOT ? ROOT : remap[p], from.token[i], from.score[i], from.origin[i]);
            sources[n] = from.sources[i];
            modelConf[n] = from.modelConf[i];
            suffixConf[n] = from.suffixConf[i];
            suffixMatch[n] = from.suffixMatch[i];
            suffixSupport[n] = from.suffixSupport[i];
            remap[i] = n;
        }
    }

    /** Verification input: the root token, then every node. Row r of the output belongs to node r-1. */
    public int[] verifyTokens(int rootToken) {
        int[] t = new int[size + 1];
        t[0] = rootToken;
        System.arraycopy(token, 0, t, 1, size);
        return t;
    }

    public int[] verifyPositions(int rootPosition) {
        int[] p = new int[size + 1];
        p[0] = rootPosition;
        for (int i = 0; i < size; i++) {
            p[i + 1] = rootPosition + depth[i];
        }
        return p;
    }

    /** Tree attention: every row sees the cache and the root; a node also sees its ancestors and itself. */
    public float[] verifyMask(int past) {
        int s = size + 1;
        int cols = past + s;
        float[] m = new float[s * cols];
        Arrays.fill(m, Masks.BLOCKED);
        for (int r = 0; r < s; r++) {
            Arrays.fill(m, r * cols, r * cols + past + 1, 0f);
            for (int n = r - 1; n != ROOT; n = parent[n]) {
                m[r * cols + past + 1 + n] = 0f;
            }
        }
        return m;
    }

    /** Root-to-node path of {@code node}, as node indices. */
    public int[] path(int node) {
        int[] p = new int[depth(node)];
        for (int n = node, i = p.length - 1; n != ROOT; n = parent[n], i--) {
            p[i] = n;
        }
        return p;
    }
}
