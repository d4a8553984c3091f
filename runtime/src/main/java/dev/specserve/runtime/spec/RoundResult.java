package dev.specserve.runtime.spec;

/**
 * One verification round, as the feedback stream sees it: the tree, what was accepted, the target's
 * token at every node (row 0 = root), and where the time went.
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
        long roundNanos) {

    public int acceptedLength() {
        return acceptance.acceptedNodes().length;
    }

    /** Time spent outside ORT calls: tree building, masks, copies, bookkeeping. */
    public long javaNanos() {
        return Math.max(0, roundNanos - draftOrtNanos - verifyOrtNanos);
    }
}
