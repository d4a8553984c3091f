package dev.specserve.controller.server;

import dev.specserve.runtime.engine.EngineListener;
import dev.specserve.runtime.engine.RequestStats;
import dev.specserve.runtime.spec.DraftTree;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.RoundResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Engine events to Micrometer meters, named after vLLM's (dotted here; Prometheus renders
 * {@code specserve.time_to_first_token} as {@code specserve_time_to_first_token_seconds_bucket} etc.).
 *
 * <ul>
 *   <li>histograms: {@code specserve.time_to_first_token}, {@code specserve.inter_token_latency} (one sample per
 *       emitted token after the first: the wall time since the request's previous tokens went out, divided by the
 *       tokens the round emitted, so time between its rounds counts, as a client sees it), {@code specserve.e2e_request_latency},
 *       {@code specserve.request_queue_time}</li>
 *   <li>gauges: see {@link EngineGauges}</li>
 *   <li>counters: {@code specserve.prompt_tokens}, {@code specserve.generation_tokens},
 *       {@code specserve.spec_decode.num_drafts} (rounds with a non-empty tree),
 *       {@code specserve.spec_decode.num_draft_tokens} and {@code specserve.spec_decode.num_accepted_tokens} (tree
 *       nodes verified and accepted; tag {@code source}: model, suffix, or both when the two sources proposed the
 *       same node),
 *       {@code specserve.spec_decode.num_accepted_tokens_per_pos} (tag {@code position} = depth 1..N),
 *       {@code specserve.requests.rejected} (tag {@code reason}: {@code invalid_<field>}, {@code queue_full}),
 *       {@code specserve.requests.finished} (tag {@code finish_reason}: stop, length, cancelled, timeout, error)</li>
 * </ul>
 *
 * Called on the engine thread (cheap, never throws) and, for rejections the serving layer decides itself, on
 * Vert.x event loops: every meter is thread-safe.
 */
public final class MetricsRecorder implements EngineListener {
    private static final int MAX_POSITIONS = 64;

    private final MeterRegistry registry;
    private final Timer timeToFirstToken;
    private final Timer interTokenLatency;
    /** When each request's latest tokens went out (first token or round); left when it finishes. */
    private final java.util.Map<String, Long> lastEmitted = new java.util.concurrent.ConcurrentHashMap<>();
    private final Timer e2eLatency;
    private final Timer queueTime;
    private final Counter promptTokens;
    private final Counter prefixQueries;
    private final Counter prefixHits;
    private final Counter generationTokens;
    private final Counter numDrafts;
    /**
     * Indexed by a node's source bits (DraftTree.MODEL | DraftTree.SUFFIX); neither is a node only the output
     * grammar forced (DraftTree.GRAMMAR).
     */
    private static final String[] SOURCE_LABELS = {"grammar", "model", "suffix", "both"};
    private final Counter[] numDraftTokens = new Counter[4];
    private final Counter[] numAcceptedTokens = new Counter[4];
    private final Counter corpusDraftTokens;
    private final Counter corpusAcceptedTokens;
    private final AtomicReferenceArray<Counter> acceptedPerPosition = new AtomicReferenceArray<>(MAX_POSITIONS + 1);

    public MetricsRecorder(MeterRegistry registry) {
        this.registry = registry;
        timeToFirstToken = timer("specserve.time_to_first_token", "Time from arrival to the first generated token",
                0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80);
        interTokenLatency = timer("specserve.inter_token_latency", "Time per output token after the first: the "
                + "wall time since the request's previous tokens divided by the tokens a round emitted", 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1,
                0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10);
        e2eLatency = timer("specserve.e2e_request_latency", "Time from arrival to the last token",
                0.05, 0.1, 0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480);
        queueTime = timer("specserve.request_queue_time", "Time a request waited in the queue before its prefill",
                0.001, 0.005, 0.01, 0.05, 0.1, 0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 60, 120);
        promptTokens = Counter.builder("specserve.prompt_tokens").description("Prefilled prompt tokens").register(registry);
        // as vLLM v1's: a hit rate over any window is rate(hits) / rate(queries); the gauge above is the lifetime's
        prefixQueries = Counter.builder("specserve.prefix_cache.queries")
                .description("Prompt tokens of every request that started: hits over queries is the share of prompt "
                        + "tokens the prefix cache served").register(registry);
        prefixHits = Counter.builder("specserve.prefix_cache.hits")
                .description("Prompt tokens served from the prefix cache").register(registry);
        generationTokens = Counter.builder("specserve.generation_tokens").description("Generated tokens").register(registry);
        numDrafts = Counter.builder("specserve.spec_decode.num_drafts")
                .description("Verification rounds that checked a non-empty draft tree").register(registry);
        for (int source = 0; source <= 3; source++) {
            numDraftTokens[source] = Counter.builder("specserve.spec_decode.num_draft_tokens")
                    .description("Draft tokens verified (tree nodes), by the source that proposed them")
                    .tag("source", SOURCE_LABELS[source]).register(registry);
            numAcceptedTokens[source] = Counter.builder("specserve.spec_decode.num_accepted_tokens")
                    .description("Draft tokens accepted, by the source that proposed them")
                    .tag("source", SOURCE_LABELS[source]).register(registry);
        }
        corpusDraftTokens = Counter.builder("specserve.spec_decode.lookup_corpus_draft_tokens")
                .description("Draft tokens verified that the model's lookup corpus proposed (counted under "
                        + "source=suffix or both too)").register(registry);
        corpusAcceptedTokens = Counter.builder("specserve.spec_decode.lookup_corpus_accepted_tokens")
                .description("Draft tokens accepted that the model's lookup corpus proposed (counted under "
                        + "source=suffix or both too)").register(registry);
        // zero from the start, so rate() and alerts see them before the first event (Prometheus' advice)
        rejectedCounter("queue_full");
        for (String reason : new String[] {"stop", "length", "cancelled", "timeout", "error"}) {
            finishedCounter(reason);
        }
        for (int pos = 1; pos <= 4; pos++) {
            positionCounter(pos);
        }
    }

    public MeterRegistry registry() {
        return registry;
    }

    @Override
    public void onRejected(String reason) {
        rejectedCounter(reason).increment();
    }

    @Override
    public void onStarted(String requestId, long queueNanos, int prompt, int prefixHitTokens) {
        queueTime.record(queueNanos, TimeUnit.NANOSECONDS);
        promptTokens.increment(prompt);
        prefixQueries.increment(prompt);
        prefixHits.increment(prefixHitTokens);
    }

    @Override
    public void onFirstToken(String requestId, long timeToFirstTokenNanos) {
        timeToFirstToken.record(timeToFirstTokenNanos, TimeUnit.NANOSECONDS);
        lastEmitted.put(requestId, System.nanoTime());
    }

    @Override
    public void onRound(String requestId, String strategy, long drafterVersion, String domain, RoundResult round,
                        int[] emitted) {
        DraftTree tree = round.tree();
        if (tree.size() > 0) {
            numDrafts.increment();
            for (int n = 0; n < tree.size(); n++) {
                numDraftTokens[tree.sources(n) & 3].increment();
            }
            corpusDraftTokens.increment(round.drafted(DraftTree.CORPUS));
        }
        int accepted = round.acceptedLength();
        if (accepted > 0) {
            for (int n : round.acceptance().acceptedNodes()) {
                numAcceptedTokens[tree.sources(n) & 3].increment();
            }
            corpusAcceptedTokens.increment(round.accepted(DraftTree.CORPUS));
            for (int pos = 1; pos <= accepted; pos++) {
                positionCounter(pos).increment();
            }
        }
        if (emitted.length > 0) {
            long now = System.nanoTime();
            Long previous = lastEmitted.put(requestId, now);
            long perToken = (previous == null ? round.roundNanos() : now - previous) / emitted.length;
            for (int i = 0; i < emitted.length; i++) {
                interTokenLatency.record(perToken, TimeUnit.NANOSECONDS);
            }
        }
    }

    @Override
    public void onFinished(String requestId, GenerationResult result, RequestStats stats) {
        lastEmitted.remove(requestId);
        generationTokens.increment(result.tokens().length);
        e2eLatency.record(stats.endToEndNanos(), TimeUnit.NANOSECONDS);
        finishedCounter(result.finishReason().wire()).increment();
    }

    @Override
    public void onFailed(String requestId, Throwable error) {
        lastEmitted.remove(requestId);
        finishedCounter("error").increment();
    }

    private Counter rejectedCounter(String reason) {
        return Counter.builder("specserve.requests.rejected").description("Requests refused before generation")
                .tag("reason", reason).register(registry);
    }

    private Counter finishedCounter(String reason) {
        return Counter.builder("specserve.requests.finished").description("Requests finished, by finish reason")
                .tag("finish_reason", reason).register(registry);
    }

    private Counter positionCounter(int pos) {
        int slot = Math.min(pos, MAX_POSITIONS);
        Counter c = acceptedPerPosition.get(slot);
        if (c == null) {
            c = Counter.builder("specserve.spec_decode.num_accepted_tokens_per_pos")
                    .description("Accepted draft tokens by depth in the draft tree")
                    .tag("position", Integer.toString(slot)).register(registry);
            acceptedPerPosition.set(slot, c);
        }
        return c;
    }

    /** A latency timer whose histogram buckets are {@code bucketSeconds}. */
    private Timer timer(String name, String description, double... bucketSeconds) {
        return Timer.builder(name).description(description).serviceLevelObjectives(Arrays.stream(bucketSeconds)
                .mapToObj(v -> Duration.ofNanos(Math.round(v * 1e9))).toArray(Duration[]::new)).register(registry);
    }
}
