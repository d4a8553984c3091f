package dev.specserve.runtime.engine;

import dev.specserve.runtime.kv.KvPool;
import dev.specserve.runtime.spec.Drafter;
import dev.specserve.runtime.spec.FinishReason;
import dev.specserve.runtime.spec.RoundResult;
import dev.specserve.runtime.spec.RoundRunner;
import dev.specserve.runtime.spec.Sequence;
import dev.specserve.runtime.spec.SpeculativeDecoder;
import dev.specserve.runtime.tokenizer.TextTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scheduler thread's work, one iteration at a time: admit waiting requests into free batch slots
 * ({@link Admission}), prefill at most one chunk
 * of prompt tokens while others decode (chunked prefill: a long prompt never stalls the running streams for more
 * than a chunk), then run ONE round for every decoding
 * sequence: draft, one batched target forward, accept, emit. Sequences join and leave between rounds
 * (continuous batching); a cancelled or timed-out sequence frees its slot at once ({@link Retirement}). Everything here runs on
 * that one thread, except, with {@code prefillOverlap}, the prompt chunks: a second thread prefills them while
 * this one runs the round ({@link Prefill}); only {@link #ready}, {@link #running} and {@link #stop} are read or
 * called from elsewhere.
 */
final class Scheduler {
    private static final Logger LOG = LoggerFactory.getLogger(Scheduler.class);

    private final SpeculativeDecoder decoder;
    private final TextTokenizer tokenizer;
    private final Function<String, Drafter> drafters;
    private final List<String> strategyNames;
    private final EngineConfig config;
    private final KvPool pool;
    private final SlotTable<Running> slots;
    private final PrefixCache prefixCache;
    private final int hiddenDim;
    private final RequestQueue queue;
    private final EngineListeners listeners;
    private final Prefill prefill;
    private volatile boolean ready;
    private final java.util.concurrent.CompletableFuture<Void> warmedUp = new java.util.concurrent.CompletableFuture<>();
    private volatile boolean closed;
    private final Admission admission;
    private final Retirement retirement;

    Scheduler(SpeculativeDecoder decoder, TextTokenizer tokenizer, Function<String, Drafter> drafters,
              List<String> strategyNames, LongSupplier drafterVersion, EngineConfig config, KvPool pool,
              int hiddenDim, RequestQueue queue, EngineListeners listeners) {
        this.decoder = decoder;
        this.tokenizer = tokenizer;
        this.drafters = drafters;
        this.strategyNames = strategyNames;
        this.config = config;
        this.pool = pool;
        this.slots = new SlotTable<>(pool);
        this.prefixCache = config.prefixCacheBytes() > 0
                ? new PrefixCache(config.prefixCacheBytes(), config.prefixBlockTokens()) : null;
        this.hiddenDim = hiddenDim;
        this.queue = queue;
        this.listeners = listeners;
        this.retirement = new Retirement(slots, listeners, drafterVersion);
        this.admission = new Admission(queue, slots, prefixCache, decoder, drafters, drafterVersion, listeners,
                retirement, config.maxBatch());
        this.prefill = new Prefill(config, pool, slots, listeners, new Prefill.Outcomes() {
            @Override
            public void finished(Running a) {
                firstToken(a);
            }

            @Override
            public void failed(Running a, RuntimeException e) {
                retirement.fail(a, e);
            }
        });
    }

    boolean ready() {
        return ready;
    }

    /** Completes once the warm-up has run every strategy, or exceptionally with what failed it. */
    java.util.concurrent.CompletableFuture<Void> warmedUp() {
        return warmedUp;
    }

    /** Requests holding a batch slot (prefilling or decoding). */
    int running() {
        return slots.occupied();
    }

    PrefixCacheStats prefixCache() {
        return prefixCache == null ? PrefixCacheStats.NONE : prefixCache.stats();
    }

    /** Ends {@link #run} after the current iteration; the caller wakes the queue. */
    void stop() {
        closed = true;
    }

    /**
     * The thread's body: warm up, iterate until {@link #stop}, cancel what is left. Whatever ends the thread (an
     * {@code Error} in the warm-up, say), its requests are answered and later ones refused.
     */
    void run() {
        try {
            iterate();
        } finally {
            closed = true;
            ready = false;
            retirement.shutdown(queue); // also closes the queue: a request submitted from now on is refused, not left waiting
            prefill.close();
        }
    }

    private void iterate() {
        warmUp();
        while (!closed) {
            try {
                admission.admit();
                if (slots.isEmpty()) {
                    awaitWork();
                    continue;
                }
                retireCancelledAndExpired();
                pool.fit(); // narrow the slots' stride once long sequences left: a BHSD past spans the whole stride
                completeFull();
                prefill.iterate(this::step);
            } catch (RuntimeException | Error e) {
                LOG.error("engine step failed; failing the running requests and continuing", e);
                for (Running a : slots.all()) {
                    try {
                        retirement.fail(a, e);
                    } catch (RuntimeException | Error again) { // the scheduler thread must outlive any one request
                        LOG.error("failing request {} failed too", a.id(), again);
                    }
                }
            }
        }
    }

    private void warmUp() {
        try {
            WarmUp.run(decoder, tokenizer, strategyNames, drafters, config.defaultBudget(), () -> closed);
            if (closed) {
                return;
            }
            ready = true;
            warmedUp.complete(null);
            LOG.info("engine ready: batch {} x {} KV rows ({} MiB), queue {}, default strategy {}, prefix cache {} MiB, "
                    + "prefill chunks up to {} tokens {}", config.maxBatch(), pool.capacity(), pool.bytes() >> 20,
                    config.queueCapacity(), config.defaultStrategy(), config.prefixCacheBytes() >> 20,
                    config.prefillChunkTokens(), prefill.overlapping() ? "beside the rounds (second thread)" : "between rounds");
        } catch (RuntimeException | Error e) {
            LOG.error("engine warm-up failed; the engine will not report ready", e);
            warmedUp.completeExceptionally(e);
            if (e instanceof Error error) {
                throw error; // ends the thread, whose end answers what was queued meanwhile
            }
        }
    }

    private void awaitWork() {
        try {
            if (!closed) {
                queue.await(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closed = true;
        }
    }

    private void firstToken(Running a) {
        long ttft = System.nanoTime() - a.pending.enqueued();
        a.firstTokenNanos = ttft;
        listeners.notify(l -> l.onFirstToken(a.id(), ttft));
        a.emit(a.seq.lastEmitted());
        if (prefixCache != null) { // after the first token went out: storing is not this request's latency
            prefixCache.store(a.pending.gen().promptIds(), a.seq.cache(), a.seq.promptHidden(), hiddenDim);
        }
        if (a.seq.finished()) {
            retirement.complete(a);
        }
    }

    private void retireCancelledAndExpired() {
        long now = System.nanoTime();
        for (Running a : slots.all()) {
            FinishReason r = a.pending.handle().cancelled ? FinishReason.CANCELLED
                    : now > a.pending.deadline() ? FinishReason.TIMEOUT : null;
            if (r != null) {
                a.seq.finish(r);
                retirement.complete(a);
            }
        }
    }

    private void completeFull() {
        for (Running a : new ArrayList<>(slots.decoding())) {
            if (!a.seq.hasRoom()) {
                retirement.complete(a); // context full
            }
        }
    }

    /** One round for every decoding sequence: the decoder's round primitive over the whole batch. */
    private void step() {
        completeFull(); // again: a sequence promoted since may have filled its context with the prompt
        if (slots.decoding().isEmpty()) {
            return;
        }
        List<Running> batch = new ArrayList<>(slots.decoding());
        List<Sequence> seqs = batch.stream().map(a -> a.seq).toList();
        RoundResult[] rounds;
        Throwable failure = null;
        try {
            rounds = decoder.rounds().run(seqs, pool);
        } catch (RoundRunner.RoundFailedException e) {
            rounds = e.partial();
            failure = e.getCause();
        }
        for (int i = 0; i < batch.size(); i++) {
            Running a = batch.get(i);
            RoundResult round = rounds[i];
            if (round == null) {
                retirement.fail(a, failure);
                continue;
            }
            int[] emitted = a.seq.lastEmitted();
            listeners.notify(l -> l.onRound(a.id(), a.pending.strategy(), round.drafterVersion(),
                    a.pending.request().domain(), round, emitted));
            a.emit(emitted);
            if (a.seq.finished()) {
                retirement.complete(a);
            }
        }
    }
}
