package dev.specserve.runtime.engine;

import dev.specserve.runtime.spec.GenerationRequest;

/** A validated, tokenized request waiting for a batch slot. Times are {@link System#nanoTime()}. */
record Pending(EngineRequest request, GenerationRequest gen, String strategy, GenerationObserver observer,
               EngineHandle handle, long enqueued, long deadline) {
    String id() {
        return request.requestId();
    }
}
