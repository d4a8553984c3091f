package dev.specserve.runtime.engine;

import java.util.List;

/** What the serving layer needs from the engine. Thread-safe; {@link #submit} never waits for a queue slot. */
public interface GenerationService {
    /**
     * Validates the request (throws {@link dev.specserve.runtime.spec.InvalidRequestException} naming the field),
     * then queues it (throws {@link QueueFullException} when the queue is full). It tokenizes the prompt, which
     * can take a while for a long one: call it from a worker thread, never from an event loop (run
     * {@link #precheck} there first).
     */
    GenerationHandle submit(EngineRequest request, GenerationObserver observer);

    /**
     * The checks that need no tokenization, cheap enough for an event loop: fields, and a prompt whose size
     * alone shows it cannot fit the context. Throws what {@link #submit} would for such a request.
     */
    default void precheck(EngineRequest request) {}

    /** The model's tokens: text to ids and back, as clients see them. */
    Vocabulary vocabulary();

    /** Known strategy names; the first is the default. */
    List<String> strategies();

    String defaultStrategy();

    /** The served model's name, for /v1/models. */
    String modelName();

    int contextLength();

    int maxTokensLimit();

    /** Models loaded and drafter warmed up. */
    boolean ready();

    int running();

    int waiting();

    PrefixCacheStats prefixCache();

    /** Version id of the drafter the next round will use. */
    long drafterVersion();

    /** The engine stopped by itself (its thread died): nothing will be served until a restart (false by default). */
    default boolean failed() {
        return false;
    }

    /** Draining or closed: refusing new requests for good, so not ready again (false by default). */
    default boolean stopping() {
        return false;
    }

    /** Engine notifications a listener threw on, so what it would have published was lost; 0 by default. */
    default long listenerFailures() {
        return 0;
    }

    /**
     * The goodput planner's learned state, for metrics: cost-model coefficients (ms) and the shares of rounds
     * decoded plainly and with a drafter forward. Keys are fixed for the service's lifetime.
     */
    default java.util.Map<String, Double> plannerState() {
        return java.util.Map.of();
    }
}
