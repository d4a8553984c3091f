package dev.specserve.runtime.engine;

import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.Sequence;
import dev.specserve.runtime.spec.TokenLogprob;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A request holding a batch slot: its sequence (prefilling, then decoding), its observer and its timings.
 * Observer calls never throw into the engine.
 */
final class Running {
    private static final Logger LOG = LoggerFactory.getLogger(Running.class);

    final Pending pending;
    final long started;
    Sequence seq;
    int prefixHit;
    long firstTokenNanos;
    boolean released;

    Running(Pending pending, long started) {
        this.pending = pending;
        this.started = started;
    }

    String id() {
        return pending.id();
    }

    /** Sends the tokens of the last prefill or round and the text that became stable ({@link Sequence#newText}). */
    void emit(int[] tokens) {
        List<TokenLogprob> logprobs = tokens.length == 0 ? List.of() : seq.lastLogprobs();
        String delta = seq.newText();
        if (tokens.length > 0 || !delta.isEmpty()) {
            safely(() -> pending.observer().onTokens(tokens, delta, logprobs));
        }
    }

    void started() {
        safely(() -> pending.observer().onStarted());
    }

    void complete(GenerationResult result, RequestStats stats) {
        safely(() -> pending.observer().onComplete(result, stats));
    }

    void error(Throwable e) {
        safely(() -> pending.observer().onError(e));
    }

    private void safely(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.warn("observer of {} threw: {}", id(), e.toString());
        }
    }
}
