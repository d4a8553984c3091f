package dev.specserve.runtime.spec;

/** Limits on one round's tree: total nodes and depth. */
public record DraftBudget(int maxNodes, int maxDepth) {
    public DraftBudget {
        if (maxNodes < 0 || maxDepth < 0) {
            throw new IllegalArgumentException("draft budget must be non-negative: nodes=" + maxNodes + " depth=" + maxDepth);
        }
    }

    public DraftBudget withMaxDepth(int depth) {
        return new DraftBudget(maxNodes, Math.min(maxDepth, depth));
    }
}
