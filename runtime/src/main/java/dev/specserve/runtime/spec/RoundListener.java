package dev.specserve.runtime.spec;

/** Receives each round as it completes (feedback, metrics, streaming). */
@FunctionalInterface
public interface RoundListener {
    RoundListener NONE = (round, tokens) -> {};

    /** {@code emitted} are the tokens this round added to the output (after stop handling). */
    void onRound(RoundResult round, int[] emitted);
}
