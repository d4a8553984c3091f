package dev.specserve.runtime.engine;

import dev.specserve.runtime.spec.GenerationRequest;

/**
 * A validated, tokenized request waiting for a batch slot. Times are {@link System#nanoTime()}: it must start by
 * {@code startBy} (half its timeout after it was queued) and finish by {@code deadline}.
 */
record Pending(EngineRequest request, GenerationRequest gen, String strategy, GenerationObserver observer,
               EngineHandle handle, long enqueued, long startBy, long deadline) {
    String id() {
        return request.requestId();
    }

    /** The admission group: the API request this sequence is a choice of. */
    String group() {
        return request.group();
    }
}
