package dev.specserve.runtime.engine;

import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.RoundResult;

/**
 * Engine lifecycle events for metrics and feedback. Called on the engine thread: implementations must be
 * quick and must not throw (exceptions are caught, counted and logged once).
 */
public interface EngineListener {
    default void onQueued(String requestId) {}

    default void onRejected(String reason) {}

    default void onStarted(String requestId, long queueNanos, int promptTokens, int prefixHitTokens) {}

    default void onFirstToken(String requestId, long timeToFirstTokenNanos) {}

    /** One verification round of one sequence. {@code emitted} are the tokens it added to the output. */
    default void onRound(String requestId, String strategy, long drafterVersion, String domain, RoundResult round,
                         int[] emitted) {}

    default void onFinished(String requestId, GenerationResult result, RequestStats stats) {}

    /**
     * Time the scheduler thread spent on one phase of one iteration: {@code "prefill"} (prompt chunks) or
     * {@code "round"} (drafting, verifying and accepting for the decoding batch).
     */
    default void onBusy(String phase, long nanos) {}

    default void onFailed(String requestId, Throwable error) {}
}
