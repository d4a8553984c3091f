package dev.specserve.runtime.spec;

/**
 * One verification round, as the feedback stream sees it: the tree, what was accepted, the target's
 * token at every node (row 0 = root), where the time went, and the drafter version that drafted it
 * (0 for model-free strategies).
 */
public record RoundResult(
        int index,
        DraftTree tree,
        Acceptance acceptance,
        int draftForwards,
        long draftNanos,
        long draftOrtNanos,
        long verifyNanos,
        long verifyOrtNanos,
        long roundNanos,
        long drafterVersion) {

    public int acceptedLength() {
        return acceptance.acceptedNodes().length;
    }

    /** Verified nodes that {@code source} proposed ({@link DraftTree#MODEL}, {@link DraftTree#SUFFIX}). */
    public int drafted(int source) {
        int n = 0;
        for (int i = 0; i < tree.size(); i++) {
            if (tree.from(i, source)) {
                n++;
            }
        }
        return n;
    }

    /** Accepted nodes that {@code source} proposed. */
    public int accepted(int source) {
        int n = 0;
        for (int node : acceptance.acceptedNodes()) {
            if (tree.from(node, source)) {
                n++;
            }
        }
        return n;
    }

    /** Time spent outside ORT calls: tree building, masks, copies, bookkeeping. */
    public long javaNanos() {
        return Math.max(0, roundNanos - draftOrtNanos - verifyOrtNanos);
    }
}
