package dev.specserve.runtime.spec;

import dev.specserve.runtime.model.Masks;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A draft tree rooted at the last committed token. Nodes are kept in creation order, so a parent always
 * precedes its children. Each node has a token, a depth (root = 0), a score (cumulative drafter log-prob)
 * and an {@code origin}: an index the drafter uses to find its own state for the node (-1 if none).
 */
public final class DraftTree {
    public static final int ROOT = -1;

    private int[] parent = new int[16];
    private int[] token = new int[16];
    private int[] depth = new int[16];
    private float[] score = new float[16];
    private int[] origin = new int[16];
    private int size;
    private float[][] originHidden;

    public static DraftTree empty() {
        return new DraftTree();
    }

    public int add(int parentNode, int tokenId, float cumulativeScore, int originIndex) {
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
        }
        parent[size] = parentNode;
        token[size] = tokenId;
        depth[size] = parentNode == ROOT ? 1 : depth[parentNode] + 1;
        score[size] = cumulativeScore;
        origin[size] = originIndex;
        return size++;
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
        DraftTree t = pruned(maxNodes);
        t.originHidden = originHidden;
        return t;
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
        DraftTree t = new DraftTree();
        int[] remap = new int[size];
        for (int i = 0; i < size; i++) {
            if (keep[i]) {
                remap[i] = t.add(parent[i] == ROOT ? ROOT : remap[parent[i]], token[i], score[i], origin[i]);
            }
        }
        return t;
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
