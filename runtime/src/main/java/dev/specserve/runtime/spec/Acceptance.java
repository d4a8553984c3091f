package dev.specserve.runtime.spec;

/** The verified outcome of one round: accepted node indices along one root-to-node path, then the bonus token. */
public record Acceptance(int[] acceptedNodes, int bonusToken, int[] targetTokens) {
    /** Tokens committed this round: the accepted path's tokens followed by the bonus token. */
    public int[] newTokens(DraftTree tree) {
        int[] t = new int[acceptedNodes.length + 1];
        for (int i = 0; i < acceptedNodes.length; i++) {
            t[i] = tree.token(acceptedNodes[i]);
        }
        t[acceptedNodes.length] = bonusToken;
        return t;
    }

    /** Verify-output rows to keep in the cache: the root (row 0) and each accepted node. */
    public int[] keptRows() {
        int[] rows = new int[acceptedNodes.length + 1];
        for (int i = 0; i < acceptedNodes.length; i++) {
            rows[i + 1] = acceptedNodes[i] + 1;
        }
        return rows;
    }
}
