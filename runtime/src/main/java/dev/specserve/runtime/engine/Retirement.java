package dev.specserve.runtime.engine;

import dev.specserve.runtime.spec.FinishReason;
import dev.specserve.runtime.spec.GenerationResult;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a request that holds a batch slot leaves it, exactly once: completed (its result and statistics), failed
 * (its error), or cancelled at shutdown. Each path frees the slot first and answers the request even when freeing
 * throws, since a request out of its slot has nobody else to answer it. Scheduler thread only.
 */
final class Retirement {
    private static final Logger LOG = LoggerFactory.getLogger(Retirement.class);

    private final SlotTable<Running> slots;
    private final EngineListeners listeners;
    private final LongSupplier drafterVersion;

    Retirement(SlotTable<Running> slots, EngineListeners listeners, LongSupplier drafterVersion) {
        this.slots = slots;
        this.listeners = listeners;
        this.drafterVersion = drafterVersion;
    }

    void complete(Running a) {
        if (a.released) {
            return;
        }
        GenerationResult result;
        RequestStats stats;
        try {
            release(a);
            a.emit(new int[0]);
            result = a.seq.result();
            stats = new RequestStats(a.id(), a.pending.strategy(), drafterVersion.getAsLong(),
                    a.started - a.pending.enqueued(), a.firstTokenNanos, System.nanoTime() - a.pending.enqueued(),
                    a.prefixHit);
        } catch (RuntimeException | Error e) { // released already: no one else would ever answer it
            answerFailure(a, e);
            if (e instanceof Error error) {
                throw error; // the whole step's trouble; a RuntimeException here was this request's alone
            }
            return;
        }
        a.complete(result, stats);
        listeners.notify(l -> l.onFinished(a.id(), result, stats));
    }

    void fail(Running a, Throwable e) {
        if (a.released) {
            return;
        }
        try {
            release(a);
        } finally { // a release that throws (out of memory) still answers the request
            answerFailure(a, e);
        }
    }

    /** Cancels every running request and refuses every queued one; one that throws does not skip the others. */
    void shutdown(RequestQueue queue) {
        for (Running a : slots.all()) {
            try {
                if (a.seq != null) {
                    a.seq.finish(FinishReason.CANCELLED);
                }
                complete(a);
            } catch (RuntimeException | Error e) {
                LOG.warn("cancelling request {} at shutdown failed: {}", a.id(), e.toString());
                fail(a, e);
            }
        }
        for (Pending p : queue.drain()) {
            p.refuse(ServiceUnavailableException.shuttingDown(), listeners);
        }
    }

    private void answerFailure(Running a, Throwable e) {
        LOG.warn("request {} failed: {}", a.id(), e.toString());
        a.error(e);
        listeners.notify(l -> l.onFailed(a.id(), e));
    }

    /** Frees the request's slot; a sequence that fails to close (its drafter session, say) still lets it finish. */
    private void release(Running a) {
        a.released = true; // before the removal: one that throws (out of memory) must not be retried every iteration
        slots.remove(a);
        if (a.seq != null) {
            try {
                a.seq.close();
            } catch (RuntimeException e) {
                LOG.warn("closing request {}'s sequence failed: {}", a.id(), e.toString());
            }
        }
    }
}
