package dev.specserve.bandit;

/**
 * Receives every {@link Decision} of a {@link CostAwareBandit}: once when it is made and once more,
 * with the same id, when its reward is realised. Meant for publishing on the feedback topic and
 * for logging.
 *
 * <p>Called on the thread that called {@code decide}/{@code realise}, after the bandit has released
 * its lock; keep it quick (hand off to an async producer). An exception thrown here is logged and
 * swallowed: it never affects the bandit or other listeners.
 */
@FunctionalInterface
public interface DecisionLog {

    /** A decision was just made; {@link Decision#isRealised()} is false. */
    void onDecision(Decision decision);

    /** The decision with this id now carries its realised reward. */
    default void onRealised(Decision decision) {
    }
}
