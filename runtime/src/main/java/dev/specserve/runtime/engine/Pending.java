package dev.specserve.runtime.engine;

import dev.specserve.runtime.spec.FinishReason;
import dev.specserve.runtime.spec.GenerationRequest;
import dev.specserve.runtime.spec.GenerationResult;
import org.slf4j.LoggerFactory;

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

    /** Ends a request that never started (cancelled while queued) with nothing generated. */
    void finish(FinishReason reason, long drafterVersion, EngineListeners listeners) {
        long waited = System.nanoTime() - enqueued;
        GenerationResult r = new GenerationResult(new int[0], "", reason, gen.promptIds().length, 0, 0, 0, waited, 0,
                0, 0, 0, 0);
        RequestStats stats = new RequestStats(id(), strategy, drafterVersion, waited, 0, waited, 0);
        safely(() -> observer.onComplete(r, stats));
        listeners.notify(l -> l.onFinished(id(), r, stats));
    }

    /** Fails a request that never started, with nothing generated: the client may retry it. */
    void refuse(ServiceUnavailableException e, EngineListeners listeners) {
        safely(() -> observer.onError(e));
        listeners.notify(l -> l.onRejected(e.reason()));
    }

    private void safely(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LoggerFactory.getLogger(Scheduler.class).warn("observer of {} threw: {}", id(), e.toString());
        }
    }
}
