package dev.specserve.runtime.plan;

import dev.specserve.runtime.spec.DraftTree;
import java.util.Arrays;

/** Node values ranked for the planner: sorted value lists and the best subtree of a given size. */
final class NodeRanking {
    private NodeRanking() {}

    /** The sum of the first {@code n} values. */
    static double sum(double[] sortedDesc, int n) {
        double s = 0;
        for (int k = 0; k < n; k++) {
            s += sortedDesc[k];
        }
        return s;
    }

    /** Both lists' values in one list, largest first. */
    static double[] mergeDescending(double[] a, double[] extra) {
        double[] m = Arrays.copyOf(a, a.length + extra.length);
        System.arraycopy(extra, 0, m, a.length, extra.length);
        return descending(m);
    }

    /** Sorts in place, largest first. */
    static double[] descending(double[] v) {
        Arrays.sort(v);
        for (int i = 0, j = v.length - 1; i < j; i++, j--) {
            double t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
        return v;
    }

    /**
     * Keeps the {@code take} most valuable nodes (values {@code v} by node; ties to the shallower, then the
     * earlier); values never grow along a path, so they form a subtree.
     */
    static DraftTree keepBest(DraftTree tree, double[] v, int take) {
        if (take >= tree.size()) {
            return tree;
        }
        Integer[] order = new Integer[tree.size()];
        for (int n = 0; n < order.length; n++) {
            order[n] = n;
        }
        Arrays.sort(order, (x, y) -> v[x] != v[y] ? Double.compare(v[y], v[x])
                : tree.depth(x) != tree.depth(y) ? Integer.compare(tree.depth(x), tree.depth(y)) : Integer.compare(x, y));
        boolean[] keep = new boolean[tree.size()];
        int kept = 0;
        for (int k = 0; k < order.length && kept < take; k++) {
            int n = order[k];
            int p = tree.parent(n);
            if (p == DraftTree.ROOT || keep[p]) {
                keep[n] = true;
                kept++;
            }
        }
        return tree.retain(keep);
    }
}
