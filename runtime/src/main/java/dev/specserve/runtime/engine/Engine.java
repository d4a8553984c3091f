package dev.specserve.runtime.engine;

import dev.specserve.runtime.kv.KvPool;
import dev.specserve.runtime.model.TargetModel;
import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.Drafter;
import dev.specserve.runtime.spec.GenerationRequest;
import dev.specserve.runtime.spec.InvalidRequestException;
import dev.specserve.runtime.spec.SpeculativeDecoder;
import dev.specserve.runtime.tokenizer.TextTokenizer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The serving engine as callers see it: validates and tokenizes requests on the caller's thread, queues them
 * (bounded), and hands them to one {@link Scheduler} thread that owns all native work and runs continuous,
 * speculative batches. Listeners see every request's life and every round.
 */
public final class Engine implements GenerationService, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);
    private final OverloadLog overload = new OverloadLog(System::nanoTime);
    private final TextTokenizer tokenizer;
    private final SpeculativeDecoder decoder;
    private final Vocabulary vocabulary;
    private final Function<String, Drafter> drafters;
    private final List<String> strategyNames;
    private final String modelName;
    private final LongSupplier drafterVersion;
    private final EngineConfig config;
    private final RequestLimits limits;
    private final RequestQueue queue;
    private final EngineListeners listeners = new EngineListeners();
    private final Scheduler scheduler;
    private final Thread thread;
    private volatile boolean closed;
    private volatile boolean draining;

    public Engine(TargetModel target, TextTokenizer tokenizer, Function<String, Drafter> strategyFactory,
                  List<String> strategyNames, String modelName, LongSupplier drafterVersion, EngineConfig config) {
        this.tokenizer = tokenizer;
        this.decoder = new SpeculativeDecoder(target, tokenizer);
        this.vocabulary = new Vocabulary(tokenizer, decoder.vocabSize());
        Map<String, Drafter> byName = new ConcurrentHashMap<>();
        this.drafters = name -> byName.computeIfAbsent(name, strategyFactory);
        this.strategyNames = List.copyOf(strategyNames);
        this.modelName = modelName;
        this.drafterVersion = drafterVersion;
        this.config = config;
        if (!strategyNames.contains(config.defaultStrategy())) {
            throw new IllegalArgumentException("default strategy '" + config.defaultStrategy() + "' is not one of "
                    + strategyNames);
        }
        this.limits = new RequestLimits(strategyNames, maxTokensLimit(), decoder.contextLength(),
                tokenizer.maxTokenBytes());
        this.queue = new RequestQueue(config.queueCapacity(), config.maxBatch());
        KvPool pool = target.newPool(config.maxBatch(), decoder.cacheCapacity(
                new DraftBudget(SpeculativeDecoder.MAX_TREE_NODES, 0)));
        this.scheduler = new Scheduler(decoder, tokenizer, drafters, this.strategyNames, drafterVersion, config, pool,
                target.info().dim(), queue, listeners);
        this.thread = new Thread(scheduler::run, "specserve-engine");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    public void addListener(EngineListener listener) {
        listeners.add(listener);
    }

    @Override
    public long listenerFailures() {
        return listeners.failures();
    }

    @Override
    public void precheck(EngineRequest request) {
        if (closed || draining) {
            throw refuse(ServiceUnavailableException.shuttingDown());
        }
        if (failed()) {
            throw refuse(new ServiceUnavailableException(ServiceUnavailableException.SHUTTING_DOWN,
                    "the engine thread has stopped (the log says why); restart the server"));
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
                : drafters.apply(strategy).defaultBudget(config.defaultBudget());
        int[] prompt = request.truncated(request.promptTokens() != null ? request.promptTokens()
                : tokenizer.encode(request.prompt()), decoder.contextLength());
        GenerationRequest gen;
        try {
            gen = new GenerationRequest(prompt, limits.maxTokens(request, prompt.length), request.sampling(),
                    request.stop(), budget);
            decoder.validate(gen);
        } catch (InvalidRequestException e) {
            throw reject(e);
        }
        long timeout = request.timeoutMillis() > 0 ? request.timeoutMillis() : config.requestTimeoutMillis();
        EngineHandle handle = new EngineHandle(request.requestId());
        long now = System.nanoTime();
        long timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeout);
        // started later than half its timeout, a request would mostly be cut short: it is refused (503) instead
        Pending p = new Pending(request, gen, strategy, observer, handle, now,
                timeout > 0 ? deadline(now, timeoutNanos / 2) : Long.MAX_VALUE,
                timeout > 0 ? deadline(now, timeoutNanos) : Long.MAX_VALUE);
        boolean queued;
        try {
            queued = queue.offer(p, scheduler.running());
        } catch (ServiceUnavailableException e) { // shut down while this request was being tokenized
            throw refuse(e);
        }
        if (!queued) {
            listeners.notify(l -> l.onRejected("queue_full"));
            overload.refused(scheduler.running(), queue.size(), config.queueCapacity());
            throw new QueueFullException(config.queueCapacity());
        }
        overload.accepted(scheduler.running(), queue.size(), config.queueCapacity());
        listeners.notify(l -> l.onQueued(request.requestId()));
        return handle;
    }

    /** {@code now + timeoutNanos}, or no deadline when that is past what a long holds (nanoTime may be negative). */
    private static long deadline(long now, long timeoutNanos) {
        try {
            return Math.addExact(now, timeoutNanos);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    private ServiceUnavailableException refuse(ServiceUnavailableException e) {
        listeners.notify(l -> l.onRejected(e.reason()));
        return e;
    }

    private InvalidRequestException reject(InvalidRequestException e) {
        listeners.notify(l -> l.onRejected("invalid_" + e.field()));
        return e;
    }

    @Override
    public Vocabulary vocabulary() {
        return vocabulary;
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
    /** The configured max_tokens limit; 0 there means what the context holds after a one-token prompt, as vLLM. */
    public int maxTokensLimit() {
        return config.maxTokensLimit() == 0 ? decoder.contextLength() - 1 : config.maxTokensLimit();
    }

    @Override
    public boolean ready() {
        return scheduler.ready() && !closed && !draining;
    }

    @Override
    public boolean stopping() {
        return closed || draining;
    }

    /**
     * Completes once the engine has warmed up (a first forward of each strategy), or exceptionally with the error
     * that failed it: models that load but cannot run (a manifest that disagrees with its graph, say) never
     * become ready, and a server should stop rather than answer every request with that error.
     */
    public java.util.concurrent.CompletableFuture<Void> warmedUp() {
        return scheduler.warmedUp().copy();
    }

    @Override
    public int running() {
        return scheduler.running();
    }

    @Override
    public int waiting() {
        return queue.size();
    }

    @Override
    public PrefixCacheStats prefixCache() {
        return scheduler.prefixCache();
    }

    @Override
    public Map<String, Double> plannerState() {
        return decoder.rounds().planner().state();
    }

    @Override
    public long drafterVersion() {
        return drafterVersion.getAsLong();
    }

    /**
     * The start of a graceful stop: refuses new requests (503, and {@link #ready} turns false) and waits up to
     * {@code within} for the running and queued ones to finish. Returns whether they all did; {@link #close}
     * cancels what is left.
     */
    public boolean drain(java.time.Duration within) throws InterruptedException {
        draining = true;
        long deadline = System.nanoTime() + within.toNanos();
        while (running() + waiting() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        return running() + waiting() == 0;
    }

    /** Whether the engine thread ended without being closed (an {@code Error} in its warm-up, say): nothing is served. */
    @Override
    public boolean failed() {
        return !closed && !thread.isAlive();
    }

    /** True once {@link #close} has stopped the engine thread (false while a forward it waited for still runs). */
    public boolean stopped() {
        return closed && !thread.isAlive();
    }

    @Override
    public void close() {
        closed = true;
        overload.close();
        scheduler.stop();
        queue.wakeAll();
        try {
            // the caller closes the ONNX sessions next: returning while a forward still runs would crash the JVM,
            // and the loop stops within one step (a warm-up between forwards), so wait it out, saying so
            thread.join(10_000);
            if (thread.isAlive()) {
                LOG.warn("engine thread still busy 10 s after close; waiting for its forward to finish");
                thread.join(120_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
