package dev.specserve.runtime.engine;

import dev.specserve.runtime.kv.KvCache;
import dev.specserve.runtime.spec.Drafter;
import dev.specserve.runtime.spec.FinishReason;
import dev.specserve.runtime.spec.PrefixState;
import dev.specserve.runtime.spec.SpeculativeDecoder;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Moves waiting requests into free batch slots: first answers those cancelled or past their start-by time (even
 * while the batch is full), then takes requests fairly between API requests ({@link RequestQueue#poll}), each with
 * the longest cached prefix of its prompt. Scheduler thread only.
 */
final class Admission {
    private final RequestQueue queue;
    private final SlotTable<Running> slots;
    private final PrefixCache prefixCache; // null when disabled
    private final SpeculativeDecoder decoder;
    private final Function<String, Drafter> drafters;
    private final LongSupplier drafterVersion;
    private final EngineListeners listeners;
    private final Retirement retirement;
    private final int maxBatch;

    Admission(RequestQueue queue, SlotTable<Running> slots, PrefixCache prefixCache, SpeculativeDecoder decoder,
              Function<String, Drafter> drafters, LongSupplier drafterVersion, EngineListeners listeners,
              Retirement retirement, int maxBatch) {
        this.queue = queue;
        this.slots = slots;
        this.prefixCache = prefixCache;
        this.decoder = decoder;
        this.drafters = drafters;
        this.drafterVersion = drafterVersion;
        this.listeners = listeners;
        this.retirement = retirement;
        this.maxBatch = maxBatch;
    }

    void admit() {
        long now = System.nanoTime();
        for (Pending p : queue.removeIf(p -> p.handle().cancelled || now > p.startBy())) {
            if (p.handle().cancelled) {
                p.finish(FinishReason.CANCELLED, drafterVersion.getAsLong(), listeners);
            } else {
                p.refuse(new ServiceUnavailableException(ServiceUnavailableException.QUEUE_TIMEOUT,
                        "request waited " + (now - p.enqueued()) / 1_000_000 + " ms in the queue without a batch slot, "
                                + "over half its timeout of " + (p.deadline() - p.enqueued()) / 1_000_000 + " ms, so "
                                + "it would mostly be cut short; retry later or on another replica"), listeners);
            }
        }
        while (slots.size() < maxBatch) {
            Pending p = queue.poll(slots.countBy(a -> a.pending.group()), System.nanoTime());
            if (p == null) {
                return;
            }
            start(p);
        }
    }

    /** Takes a slot and the cached prefix; the prompt's remaining tokens are prefilled in chunks. */
    private void start(Pending p) {
        long started = System.nanoTime();
        Running a = new Running(p, started);
        int[] prompt = p.gen().promptIds();
        try { // whatever throws here fails this request: it has left the queue, so nothing else would answer it
            KvCache cache = slots.admit(a);
            boolean reusable = prefixCache != null && p.gen().sampling().promptLogprobs() < 0; // those need every row's logits
            PrefixState prefix = reusable ? prefixCache.loadInto(prompt, cache) : null;
            a.prefixHit = prefix == null ? 0 : prefix.length();
            a.seq = decoder.open(p.gen(), drafters.apply(p.strategy()), cache, prefix);
        } catch (RuntimeException e) {
            retirement.fail(a, e);
            return;
        }
        a.started();
        listeners.notify(l -> l.onStarted(p.id(), started - p.enqueued(), prompt.length, a.prefixHit));
    }
}
