package dev.specserve.runtime.engine;

import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.Sequence;
import dev.specserve.runtime.spec.TokenLogprob;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A request holding a batch slot: its sequence (prefilling, then decoding), what its observer has been sent,
 * and its timings. Observer calls never throw into the engine.
 */
final class Running {
    private static final Logger LOG = LoggerFactory.getLogger(Running.class);

    final Pending pending;
    final long started;
    Sequence seq;
    int prefixHit;
    long firstTokenNanos;
    boolean released;
    private int sentChars;

    Running(Pending pending, long started) {
        this.pending = pending;
        this.started = started;
    }

    String id() {
        return pending.id();
    }

    /**
     * Sends the tokens of the last prefill or round and the text that became stable: text ending in an
     * incomplete UTF-8 sequence waits for its remaining bytes unless the sequence is finished.
     */
    void emit(int[] tokens) {
        List<TokenLogprob> logprobs = tokens.length == 0 ? List.of() : seq.lastLogprobs();
        String text = seq.text();
        int stable = text.length();
        while (stable > 0 && text.charAt(stable - 1) == '\uFFFD' && !seq.finished()) {
            stable--;
        }
        String delta = stable > sentChars ? text.substring(sentChars, stable) : "";
        sentChars = Math.max(sentChars, stable);
        if (tokens.length > 0 || !delta.isEmpty()) {
            safely(() -> pending.observer().onTokens(tokens, delta, logprobs));
        }
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
