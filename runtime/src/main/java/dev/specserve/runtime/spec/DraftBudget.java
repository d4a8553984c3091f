package dev.specserve.runtime.spec;

/**
 * Limits on one round's tree: total nodes, depth, and drafter-model forwards. {@code maxForwards = 0} asks
 * for model-free proposals only; {@link #UNLIMITED_FORWARDS} leaves the count to the drafter's own setting.
 */
public record DraftBudget(int maxNodes, int maxDepth, int maxForwards) {
    public static final int UNLIMITED_FORWARDS = Integer.MAX_VALUE;
    public static final DraftBudget NONE = new DraftBudget(0, 0, 0);

    public DraftBudget {
        if (maxNodes < 0 || maxDepth < 0 || maxForwards < 0) {
            throw new IllegalArgumentException("draft budget must be non-negative: nodes=" + maxNodes + " depth="
                    + maxDepth + " forwards=" + maxForwards);
        }
    }

    public DraftBudget(int maxNodes, int maxDepth) {
        this(maxNodes, maxDepth, UNLIMITED_FORWARDS);
    }

    public DraftBudget withMaxDepth(int depth) {
        return new DraftBudget(maxNodes, Math.min(maxDepth, depth), maxForwards);
    }

    public DraftBudget withMaxForwards(int forwards) {
        return new DraftBudget(maxNodes, maxDepth, forwards);
    }

    public boolean empty() {
        return maxNodes == 0 || maxDepth == 0;
    }
}
