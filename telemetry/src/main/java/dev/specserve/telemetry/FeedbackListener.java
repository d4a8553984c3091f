package dev.specserve.telemetry;

/**
 * Receives decoded records from a {@link FeedbackConsumer}, on the consumer's thread, in partition
 * order. Implement the typed methods you need, or override {@link #onEvent} to see every event.
 * An exception thrown here is logged and counted; the record counts as consumed.
 */
public interface FeedbackListener {

    /** Any feedback event; dispatches to the typed methods by default. */
    default void onEvent(FeedbackEvent event) {
        if (event instanceof RoundEvent round) {
            onRound(round);
        } else if (event instanceof RequestSummaryEvent summary) {
            onRequestSummary(summary);
        } else if (event instanceof DecisionEvent decision) {
            onDecision(decision);
        }
    }

    default void onRound(RoundEvent event) {
    }

    default void onRequestSummary(RequestSummaryEvent event) {
    }

    default void onDecision(DecisionEvent event) {
    }

    default void onSample(TrainingSample sample) {
    }
}
