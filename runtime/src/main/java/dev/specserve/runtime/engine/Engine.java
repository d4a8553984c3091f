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
import dev.specserve.runtime.spec.SpeculativeDecoder.PrefixState;
import dev.specserve.runtime.spec.SpeculativeDecoder.Sequence;
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
 * admits waiting requests into free batch slots (prefill, with the prefix cache), drafts a tree for every
 * running sequence, verifies all trees in ONE batched target forward, and emits tokens. Sequences join and
 * leave between rounds (continuous batching); a cancelled or timed-out sequence frees its slot at once.
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
    private final List<Active> active = new ArrayList<>();
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
            if (waiting.size() >= config.queueCapacity() && active.size() + waiting.size() >= config.maxBatch()) {
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
    public long prefixCacheBytes() {
        return prefixCache == null ? 0 : prefixCache.bytes();
    }

    @Override
    public double prefixCacheHitRate() {
        return prefixCache == null ? 0 : prefixCache.hitRate();
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
                if (active.isEmpty()) {
                    awaitWork();
                    continue;
                }
                retireCancelledAndExpired();
                if (!active.isEmpty()) {
                    step();
                }
            } catch (RuntimeException | Error e) {
                LOG.error("engine step failed; failing the running requests and continuing", e);
                for (Active a : new ArrayList<>(active)) {
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
        while (active.size() < config.maxBatch()) {
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
            if (p.handle.cancelled || System.nanoTime() > p.deadline) {
                finishUnstarted(p, p.handle.cancelled ? FinishReason.CANCELLED : FinishReason.TIMEOUT);
                continue;
            }
            start(p);
        }
    }

    private void start(Pending p) {
        long started = System.nanoTime();
        KvCache cache = pool.acquire(active.size());
        int[] prompt = p.gen.promptIds();
        PrefixState prefix = prefixCache == null ? null : prefixCache.loadInto(prompt, cache);
        Sequence seq;
        try {
            seq = decoder.start(p.gen, drafter(p.strategy), cache, prefix);
        } catch (RuntimeException e) {
            pool.free(active.size()); // no stale rows left to widen the batch's stride
            LOG.warn("request {} failed in prefill: {}", p.request.requestId(), e.toString());
            notify(l -> l.onFailed(p.request.requestId(), e));
            p.observer.onError(e);
            return;
        }
        if (prefixCache != null) {
            prefixCache.store(prompt, cache, seq.promptHidden(), target.info().dim()); // the blocks not cached yet
        }
        Active a = new Active(p, seq, started, prefix == null ? 0 : prefix.length());
        active.add(a);
        running = active.size();
        notify(l -> l.onStarted(p.request.requestId(), started - p.enqueued, prompt.length, a.prefixHit));
        long ttft = System.nanoTime() - p.enqueued;
        a.firstTokenNanos = ttft;
        notify(l -> l.onFirstToken(p.request.requestId(), ttft));
        emit(a, seq.lastEmitted());
        if (seq.finished()) {
            complete(a);
        }
    }

    private void retireCancelledAndExpired() {
        long now = System.nanoTime();
        for (Active a : new ArrayList<>(active)) {
            if (a.pending.handle.cancelled) {
                a.seq.finish(FinishReason.CANCELLED);
                complete(a);
            } else if (now > a.pending.deadline) {
                a.seq.finish(FinishReason.TIMEOUT);
                complete(a);
            }
        }
    }

    /** One round for every running sequence: the decoder's round primitive over the whole batch. */
    private void step() {
        for (Active a : new ArrayList<>(active)) {
            if (!a.seq.hasRoom()) {
                complete(a); // context full
            }
        }
        if (active.isEmpty()) {
            return;
        }
        List<Active> batch = new ArrayList<>(active);
        List<Sequence> seqs = new ArrayList<>(batch.size());
        batch.forEach(a -> seqs.add(a.seq));
        RoundResult[] rounds;
        Throwable failure = null;
        try {
            rounds = decoder.rounds().run(seqs, pool);
        } catch (RoundRunner.RoundFailedException e) {
            rounds = e.partial();
            failure = e.getCause();
        }
        for (int i = 0; i < batch.size(); i++) {
            Active a = batch.get(i);
            RoundResult round = rounds[i];
            if (round == null) {
                fail(a, failure);
                continue;
            }
            int[] emitted = a.seq.lastEmitted();
            notify(l -> l.onRound(a.pending.request.requestId(), a.pending.strategy, round.drafterVersion(),
                    a.pending.request.domain(), round, emitted));
            emit(a, emitted);
            if (a.seq.finished()) {
                complete(a);
            }
        }
    }

    private void emit(Active a, int[] tokens) {
        java.util.List<dev.specserve.runtime.spec.TokenLogprob> logprobs = tokens.length == 0 ? java.util.List.of()
                : a.seq.lastLogprobs();
        String text = a.seq.text();
        int stable = text.length();
        while (stable > 0 && text.charAt(stable - 1) == '\uFFFD' && !a.seq.finished()) {
            stable--; // an incomplete UTF-8 sequence; wait for its remaining bytes
        }
        String delta = stable > a.sentChars ? text.substring(a.sentChars, stable) : "";
        a.sentChars = Math.max(a.sentChars, stable);
        if (tokens.length > 0 || !delta.isEmpty()) {
            safely(a, () -> a.pending.observer.onTokens(tokens, delta, logprobs));
        }
    }

    private void complete(Active a) {
        if (a.released) {
            return;
        }
        release(a);
        emit(a, new int[0]);
        GenerationResult result = a.seq.result();
        RequestStats stats = new RequestStats(a.pending.request.requestId(), a.pending.strategy,
                drafterVersion.getAsLong(), a.started - a.pending.enqueued, a.firstTokenNanos,
                System.nanoTime() - a.pending.enqueued, a.prefixHit);
        safely(a, () -> a.pending.observer.onComplete(result, stats));
        notify(l -> l.onFinished(a.pending.request.requestId(), result, stats));
    }

    private void fail(Active a, Throwable e) {
        if (a.released) {
            return;
        }
        release(a);
        LOG.warn("request {} failed: {}", a.pending.request.requestId(), e.toString());
        safely(a, () -> a.pending.observer.onError(e));
        notify(l -> l.onFailed(a.pending.request.requestId(), e));
    }

    /**
     * Frees the sequence's slot. Position i of {@code active} is pool slot i, so the last sequence moves
     * into the freed slot and the running slots stay contiguous for the batched forward.
     */
    private void release(Active a) {
        a.released = true;
        int slot = active.indexOf(a);
        int last = active.size() - 1;
        if (slot >= 0) {
            if (slot != last) {
                pool.move(last, slot);
                active.set(slot, active.get(last));
            }
            pool.free(last); // the freed slot's rows no longer count towards the batch's stride
            active.remove(last);
        }
        a.seq.close();
        running = active.size();
    }

    private void finishUnstarted(Pending p, FinishReason reason) {
        GenerationResult r = new GenerationResult(new int[0], "", reason, p.gen.promptIds().length, 0, 0, 0,
                System.nanoTime() - p.enqueued, 0, 0, 0, 0, 0);
        RequestStats stats = new RequestStats(p.request.requestId(), p.strategy, drafterVersion.getAsLong(),
                System.nanoTime() - p.enqueued, 0, System.nanoTime() - p.enqueued, 0);
        try {
            p.observer.onComplete(r, stats);
        } catch (RuntimeException e) {
            LOG.warn("observer of {} threw: {}", p.request.requestId(), e.toString());
        }
        notify(l -> l.onFinished(p.request.requestId(), r, stats));
    }

    private void shutdownRemaining() {
        for (Active a : new ArrayList<>(active)) {
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

    private void safely(Active a, Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.warn("observer of {} threw: {}", a.pending.request.requestId(), e.toString());
        }
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

    private record Pending(EngineRequest request, GenerationRequest gen, String strategy, GenerationObserver observer,
                           EngineHandle handle, long enqueued, long deadline) {}

    private static final class Active {
        final Pending pending;
        final Sequence seq;
        final long started;
        final int prefixHit;
        long firstTokenNanos;
        int sentChars;
        boolean released;

        Active(Pending pending, Sequence seq, long started, int prefixHit) {
            this.pending = pending;
            this.seq = seq;
            this.started = started;
            this.prefixHit = prefixHit;
        }
    }
}
