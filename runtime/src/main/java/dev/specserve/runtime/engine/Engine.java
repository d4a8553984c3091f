package dev.specserve.runtime.engine;

import dev.specserve.runtime.kv.KvCache;
import dev.specserve.runtime.kv.KvPool;
import dev.specserve.runtime.model.TargetModel;
import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.Drafter;
import dev.specserve.runtime.spec.FinishReason;
import dev.specserve.runtime.spec.GenerationRequest;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.InvalidRequestException;
import dev.specserve.runtime.spec.RoundResult;
import dev.specserve.runtime.spec.RoundRunner;
import dev.specserve.runtime.spec.SpeculativeDecoder;
import dev.specserve.runtime.spec.PrefixState;
import dev.specserve.runtime.spec.Sequence;
import dev.specserve.runtime.tokenizer.TextTokenizer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The serving engine: a bounded queue and one scheduler thread that owns all native work. Each iteration
 * admits waiting requests into free batch slots (taking the longest cached prefix), prefills at most one
 * chunk of prompt tokens (chunked prefill: a long prompt never stalls the running streams for more than a
 * chunk), then runs ONE round for every decoding sequence: draft, one batched target forward, accept, emit.
 * Sequences join and leave between rounds (continuous batching); a cancelled or timed-out sequence frees its
 * slot at once.
 */
public final class Engine implements GenerationService, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);

    private final TargetModel target;
    private final TextTokenizer tokenizer;
    private final SpeculativeDecoder decoder;
    private final Function<String, Drafter> strategyFactory;
    private final List<String> strategyNames;
    private final String modelName;
    private final LongSupplier drafterVersion;
    private final EngineConfig config;
    private final KvPool pool;
    private final PrefixCache prefixCache;
    private final RequestLimits limits;
    private final List<EngineListener> listeners = new CopyOnWriteArrayList<>();
    private final Map<String, Drafter> drafters = new ConcurrentHashMap<>();
    private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final SlotTable<Running> slots;
    private final Thread thread;
    private volatile boolean ready;
    private volatile boolean closed;
    private volatile int running;

    public Engine(TargetModel target, TextTokenizer tokenizer, Function<String, Drafter> strategyFactory,
                  List<String> strategyNames, String modelName, LongSupplier drafterVersion, EngineConfig config) {
        this.target = target;
        this.tokenizer = tokenizer;
        this.decoder = new SpeculativeDecoder(target, tokenizer);
        this.strategyFactory = strategyFactory;
        this.strategyNames = List.copyOf(strategyNames);
        this.modelName = modelName;
        this.drafterVersion = drafterVersion;
        this.config = config;
        if (!strategyNames.contains(config.defaultStrategy())) {
            throw new IllegalArgumentException("default strategy '" + config.defaultStrategy() + "' is not one of "
                    + strategyNames);
        }
        this.pool = target.newPool(config.maxBatch(), decoder.cacheCapacity(
                new DraftBudget(SpeculativeDecoder.MAX_TREE_NODES, 0)));
        this.slots = new SlotTable<>(pool);
        this.prefixCache = config.prefixCacheBytes() > 0
                ? new PrefixCache(config.prefixCacheBytes(), config.prefixBlockTokens()) : null;
        this.limits = new RequestLimits(strategyNames, config.maxTokensLimit(), decoder.contextLength(),
                tokenizer.maxTokenBytes());
        this.thread = new Thread(this::loop, "specserve-engine");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    public void addListener(EngineListener listener) {
        listeners.add(listener);
    }

    // ------------------------------------------------------------------ GenerationService

    @Override
    public void precheck(EngineRequest request) {
        if (closed) {
            throw new IllegalStateException("engine is shut down");
        }
        try {
            limits.check(request, strategyOf(request));
        } catch (InvalidRequestException e) {
            throw reject(e);
        }
    }

    private String strategyOf(EngineRequest request) {
        return request.strategy() == null || request.strategy().isBlank()
                ? config.defaultStrategy() : request.strategy();
    }

    /** Validates (cheap checks first, then tokenizes: call from a worker thread) and queues. */
    @Override
    public GenerationHandle submit(EngineRequest request, GenerationObserver observer) {
        precheck(request);
        String strategy = strategyOf(request);
        DraftBudget budget = request.budget() != null ? request.budget()
                : drafter(strategy).defaultBudget(config.defaultBudget());
        GenerationRequest gen = new GenerationRequest(tokenizer.encode(request.prompt()), request.maxTokens(),
                request.sampling(), request.stop(), budget);
        try {
            decoder.validate(gen);
        } catch (InvalidRequestException e) {
            throw reject(e);
        }
        long timeout = request.timeoutMillis() > 0 ? request.timeoutMillis() : config.requestTimeoutMillis();
        EngineHandle handle = new EngineHandle(request.requestId());
        Pending p = new Pending(request, gen, strategy, observer, handle, System.nanoTime(),
                timeout > 0 ? System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeout) : Long.MAX_VALUE);
        lock.lock();
        try {
            if (waiting.size() >= config.queueCapacity() && running + waiting.size() >= config.maxBatch()) {
                notify(l -> l.onRejected("queue_full"));
                throw new QueueFullException(config.queueCapacity());
            }
            waiting.add(p);
            work.signal();
        } finally {
            lock.unlock();
        }
        notify(l -> l.onQueued(request.requestId()));
        return handle;
    }

    private InvalidRequestException reject(InvalidRequestException e) {
        notify(l -> l.onRejected("invalid_" + e.field()));
        return e;
    }

    @Override
    public List<String> strategies() {
        return strategyNames;
    }

    @Override
    public String defaultStrategy() {
        return config.defaultStrategy();
    }

    @Override
    public String modelName() {
        return modelName;
    }

    @Override
    public int contextLength() {
        return decoder.contextLength();
    }

    @Override
    public int maxTokensLimit() {
        return config.maxTokensLimit();
    }

    @Override
    public boolean ready() {
        return ready && !closed;
    }

    @Override
    public int running() {
        return running;
    }

    @Override
    public int waiting() {
        lock.lock();
        try {
            return waiting.size();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public PrefixCacheStats prefixCache() {
        return prefixCache == null ? PrefixCacheStats.NONE : prefixCache.stats();
    }

    @Override
    public Map<String, Double> plannerState() {
        return decoder.rounds().planner().state();
    }

    @Override
    public long drafterVersion() {
        return drafterVersion.getAsLong();
    }

    // ------------------------------------------------------------------ scheduler thread

    private void loop() {
        warmUp();
        while (!closed) {
            try {
                admit();
                if (slots.isEmpty()) {
                    awaitWork();
                    continue;
                }
                retireCancelledAndExpired();
                long t0 = System.nanoTime();
                pool.fit(); // narrow the slots' stride once long sequences left: a BHSD past spans the whole stride
                prefill();
                long t1 = System.nanoTime();
                step();
                long t2 = System.nanoTime();
                notify(l -> l.onBusy("prefill", t1 - t0));
                notify(l -> l.onBusy("round", t2 - t1));
            } catch (RuntimeException | Error e) {
                LOG.error("engine step failed; failing the running requests and continuing", e);
                for (Running a : slots.all()) {
                    fail(a, e);
                }
            }
        }
        shutdownRemaining();
    }

    private void warmUp() {
        try {
            int[] ids = tokenizer.encode("def main():\n");
            for (String s : strategyNames) {
                decoder.generate(GenerationRequest.greedy(ids, 4, config.defaultBudget()), drafter(s),
                        (r, t) -> {}, () -> false);
            }
            ready = true;
            LOG.info("engine ready: batch {} x {} KV rows ({} MiB), queue {}, default strategy {}, prefix cache {} MiB",
                    config.maxBatch(), pool.capacity(), pool.bytes() >> 20, config.queueCapacity(),
                    config.defaultStrategy(), config.prefixCacheBytes() >> 20);
        } catch (RuntimeException e) {
            LOG.error("engine warm-up failed; the engine will not report ready", e);
        }
    }

    private void awaitWork() {
        lock.lock();
        try {
            if (waiting.isEmpty() && !closed) {
                work.await(100, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closed = true;
        } finally {
            lock.unlock();
        }
    }

    private void admit() {
        while (slots.size() < config.maxBatch()) {
            Pending p;
            lock.lock();
            try {
                p = waiting.poll();
            } finally {
                lock.unlock();
            }
            if (p == null) {
                return;
            }
            if (p.handle().cancelled || System.nanoTime() > p.deadline()) {
                finishUnstarted(p, p.handle().cancelled ? FinishReason.CANCELLED : FinishReason.TIMEOUT);
                continue;
            }
            start(p);
        }
    }

    /** Takes a slot and the cached prefix; the prompt's remaining tokens are prefilled in chunks. */
    private void start(Pending p) {
        long started = System.nanoTime();
        Running a = new Running(p, started);
        KvCache cache = slots.admit(a);
        int[] prompt = p.gen().promptIds();
        PrefixState prefix = prefixCache == null ? null : prefixCache.loadInto(prompt, cache);
        a.prefixHit = prefix == null ? 0 : prefix.length();
        try {
            a.seq = decoder.open(p.gen(), drafter(p.strategy()), cache, prefix);
        } catch (RuntimeException e) {
            fail(a, e);
            return;
        }
        running = slots.size();
        notify(l -> l.onStarted(p.id(), started - p.enqueued(), prompt.length, a.prefixHit));
    }

    /**
     * Spends this round's prefill budget on the oldest prefilling sequences. With nothing decoding there is
     * nobody to stall, so the budget is unlimited; otherwise each round adds at most one chunk of
     * {@code prefillChunkTokens} to the running streams' inter-token time.
     */
    private void prefill() {
        int budget = slots.decoding().isEmpty() ? Integer.MAX_VALUE : config.prefillChunkTokens();
        while (budget > 0 && !slots.prefilling().isEmpty()) {
            Running a = slots.prefilling().get(0);
            int n = Math.min(budget, a.seq.prefillRemaining());
            budget -= n;
            boolean done;
            try {
                done = a.seq.prefill(n);
            } catch (RuntimeException e) {
                LOG.warn("request {} failed in prefill: {}", a.id(), e.toString());
                fail(a, e);
                continue;
            }
            if (done) {
                slots.promoteOldest();
                firstToken(a);
            }
        }
    }

    private void firstToken(Running a) {
        long ttft = System.nanoTime() - a.pending.enqueued();
        a.firstTokenNanos = ttft;
        notify(l -> l.onFirstToken(a.id(), ttft));
        a.emit(a.seq.lastEmitted());
        if (prefixCache != null) { // after the first token went out: storing is not this request's latency
            prefixCache.store(a.pending.gen().promptIds(), a.seq.cache(), a.seq.promptHidden(), target.info().dim());
        }
        if (a.seq.finished()) {
            complete(a);
        }
    }

    private void retireCancelledAndExpired() {
        long now = System.nanoTime();
        for (Running a : slots.all()) {
            FinishReason r = a.pending.handle().cancelled ? FinishReason.CANCELLED
                    : now > a.pending.deadline() ? FinishReason.TIMEOUT : null;
            if (r != null) {
                a.seq.finish(r);
                complete(a);
            }
        }
    }

    /** One round for every decoding sequence: the decoder's round primitive over the whole batch. */
    private void step() {
        for (Running a : new ArrayList<>(slots.decoding())) {
            if (!a.seq.hasRoom()) {
                complete(a); // context full
            }
        }
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
                fail(a, failure);
                continue;
            }
            int[] emitted = a.seq.lastEmitted();
            notify(l -> l.onRound(a.id(), a.pending.strategy(), round.drafterVersion(),
                    a.pending.request().domain(), round, emitted));
            a.emit(emitted);
            if (a.seq.finished()) {
                complete(a);
            }
        }
    }

    private void complete(Running a) {
        if (a.released) {
            return;
        }
        release(a);
        a.emit(new int[0]);
        GenerationResult result = a.seq.result();
        RequestStats stats = new RequestStats(a.id(), a.pending.strategy(),
                drafterVersion.getAsLong(), a.started - a.pending.enqueued(), a.firstTokenNanos,
                System.nanoTime() - a.pending.enqueued(), a.prefixHit);
        a.complete(result, stats);
        notify(l -> l.onFinished(a.id(), result, stats));
    }

    private void fail(Running a, Throwable e) {
        if (a.released) {
            return;
        }
        release(a);
        LOG.warn("request {} failed: {}", a.id(), e.toString());
        a.error(e);
        notify(l -> l.onFailed(a.id(), e));
    }

    private void release(Running a) {
        a.released = true;
        slots.remove(a);
        if (a.seq != null) {
            a.seq.close();
        }
        running = slots.size();
    }

    private void finishUnstarted(Pending p, FinishReason reason) {
        long waited = System.nanoTime() - p.enqueued();
        GenerationResult r = new GenerationResult(new int[0], "", reason, p.gen().promptIds().length, 0, 0, 0,
                waited, 0, 0, 0, 0, 0);
        RequestStats stats = new RequestStats(p.id(), p.strategy(), drafterVersion.getAsLong(), waited, 0, waited, 0);
        try {
            p.observer().onComplete(r, stats);
        } catch (RuntimeException e) {
            LOG.warn("observer of {} threw: {}", p.id(), e.toString());
        }
        notify(l -> l.onFinished(p.id(), r, stats));
    }

    private void shutdownRemaining() {
        for (Running a : slots.all()) {
            a.seq.finish(FinishReason.CANCELLED);
            complete(a);
        }
        lock.lock();
        try {
            for (Pending p : waiting) {
                finishUnstarted(p, FinishReason.CANCELLED);
            }
            waiting.clear();
        } finally {
            lock.unlock();
        }
    }

    private Drafter drafter(String strategy) {
        return drafters.computeIfAbsent(strategy, strategyFactory);
    }

    private void notify(java.util.function.Consumer<EngineListener> event) {
        for (EngineListener l : listeners) {
            try {
                event.accept(l);
            } catch (RuntimeException e) {
                LOG.warn("engine listener {} threw: {}", l.getClass().getSimpleName(), e.toString());
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        lock.lock();
        try {
            work.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
