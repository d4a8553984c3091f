package dev.specserve.runtime.engine;

import dev.specserve.runtime.spec.GenerationResult;

/**
 * Receives one request's progress. Called on the engine thread: implementations must hand work off
 * (e.g. to a Vert.x context) and never block.
 */
public interface GenerationObserver {
    /**
     * The request left the queue: it holds a batch slot and its prompt is being prefilled. Until this call it may
     * still be refused (a queue timeout, a shutdown) without having produced anything; an HTTP stream writes its
     * 200 head here, so such a refusal can still be a plain 503 that clients retry.
     */
    default void onStarted() {}

    /** New output: the tokens of one round and the text they add (may be empty while a UTF-8 sequence is incomplete). */
    void onTokens(int[] tokens, String textDelta);

    /**
     * New output with the logprobs of {@code tokens} (empty unless the request asked for logprobs). The engine
     * calls this one; the default drops the logprobs.
     */
    default void onTokens(int[] tokens, String textDelta, java.util.List<dev.specserve.runtime.spec.TokenLogprob> logprobs) {
        onTokens(tokens, textDelta);
    }

    /** The request finished (stop, length, cancelled or timeout); {@code stats} has usage and speculation figures. */
    void onComplete(GenerationResult result, RequestStats stats);

    /** The request failed inside the engine; the engine keeps serving other requests. */
    void onError(Throwable error);
}
