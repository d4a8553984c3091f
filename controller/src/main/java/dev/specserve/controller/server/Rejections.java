package dev.specserve.controller.server;

import dev.specserve.runtime.engine.QueueFullException;
import dev.specserve.runtime.engine.ServiceUnavailableException;
import dev.specserve.runtime.spec.InvalidRequestException;

/**
 * Counts refused requests in {@code specserve.requests.rejected}, each sequence once and under one label, whoever
 * refused it: the engine (which may count its own refusals itself), or the serving layer.
 */
final class Rejections {
    private final MetricsRecorder metrics;
    private final boolean engineCounts;

    /** @param engineCounts true when the engine reports its own refusals ({@code EngineListener.onRejected}) */
    Rejections(MetricsRecorder metrics, boolean engineCounts) {
        this.metrics = metrics;
        this.engineCounts = engineCounts;
    }

    /** A refusal the engine threw: counted here unless the engine counts its own. */
    RuntimeException byEngine(RuntimeException e) {
        if ((e instanceof InvalidRequestException || e instanceof QueueFullException
                || e instanceof ServiceUnavailableException) && !engineCounts) {
            count(ApiError.from(e));
        }
        return e;
    }

    /** A refusal decided here, not by the engine: counted here whoever counts the engine's. */
    RuntimeException here(RuntimeException e) {
        metrics.onRejected(reason(e, ApiError.from(e)));
        return e;
    }

    /** A refusal the serving layer decided (bad JSON, body too large, invalid field). */
    void count(ApiError error) {
        metrics.onRejected(error.rejectionReason());
    }

    /** Another sequence refused as {@code cause} (answered as {@code error}) was. */
    void countAlike(Throwable cause, ApiError error) {
        metrics.onRejected(reason(cause, error));
    }

    /** The label a refusal is counted under: the engine's own for its exceptions, else the API error's. */
    private static String reason(Throwable cause, ApiError error) {
        if (cause instanceof QueueFullException) {
            return "queue_full";
        }
        if (cause instanceof ServiceUnavailableException e) {
            return e.reason();
        }
        if (cause instanceof InvalidRequestException e) {
            return "invalid_" + e.field();
        }
        return error.rejectionReason();
    }
}
