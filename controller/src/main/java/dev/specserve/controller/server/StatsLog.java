package dev.specserve.controller.server;

import dev.specserve.runtime.engine.GenerationService;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's load in the log, as vLLM prints it: every interval in which anything ran, one INFO line with the
 * interval's prompt and generation throughput, running and waiting requests against their capacity, the prefix
 * cache's hit share, draft tokens accepted per drafted round, and requests refused or failed. Silent while idle.
 * Reads the meters {@link MetricsRecorder} keeps, so the line and {@code /metrics} never disagree.
 */
final class StatsLog {
    private static final Logger LOG = LoggerFactory.getLogger(StatsLog.class);

    private final MeterRegistry registry;
    private final GenerationService engine;
    private final int batchSlots;
    private final int queueCapacity;
    private double[] last;
    private long lastNanos = System.nanoTime();

    StatsLog(MeterRegistry registry, GenerationService engine, int batchSlots, int queueCapacity) {
        this.registry = registry;
        this.engine = engine;
        this.batchSlots = batchSlots;
        this.queueCapacity = queueCapacity;
        this.last = totals();
    }

    /** The line for the interval since the last call, or null when nothing ran in it. */
    String tick() {
        double[] now = totals();
        long t = System.nanoTime();
        double seconds = Math.max(1e-9, (t - lastNanos) / 1e9);
        double[] d = new double[now.length];
        boolean moved = false;
        for (int i = 0; i < now.length; i++) {
            d[i] = now[i] - last[i];
            moved |= d[i] != 0;
        }
        last = now;
        lastNanos = t;
        int running = engine.running();
        int waiting = engine.waiting();
        if (!moved && running == 0 && waiting == 0) {
            return null;
        }
        return String.format(Locale.ROOT, "engine: prompt %.1f tok/s, generation %.1f tok/s, running %d of %d, "
                        + "waiting %d of %d, prefix cache %.0f%% of prompt tokens, %.2f tokens accepted per drafted "
                        + "round, %d refused, %d failed (last %.0f s)", d[0] / seconds, d[1] / seconds, running,
                batchSlots, waiting, queueCapacity, d[2] > 0 ? 100 * d[3] / d[2] : 0.0, d[4] > 0 ? d[5] / d[4] : 0.0,
                (long) d[6], (long) d[7], seconds);
    }

    /**
     * Logs {@code stats} every {@code seconds} on a worker of {@code vertx}, never on an event loop: a log write waits
     * for the console, which a burst of access lines can hold for seconds on a busy machine; 0: never.
     */
    static void every(io.vertx.core.Vertx vertx, int seconds, StatsLog stats) {
        if (seconds > 0) {
            vertx.setPeriodic(seconds * 1000L, id -> vertx.executeBlocking(() -> {
                stats.log();
                return null;
            }, true));
        }
    }

    void log() {
        String line = tick();
        if (line != null) {
            LOG.info(line);
        }
    }

    /** prompt, generation, prefix queries, prefix hits, drafted rounds, accepted draft tokens, refused, failed. */
    private double[] totals() {
        return new double[] {count("specserve.prompt_tokens"), count("specserve.generation_tokens"),
                count("specserve.prefix_cache.queries"), count("specserve.prefix_cache.hits"),
                count("specserve.spec_decode.num_drafts"), count("specserve.spec_decode.num_accepted_tokens"),
                count("specserve.requests.rejected"), registry.find("specserve.requests.finished")
                        .tag("finish_reason", "error").counters().stream().mapToDouble(Counter::count).sum()};
    }

    private double count(String name) {
        return registry.find(name).counters().stream().mapToDouble(Counter::count).sum();
    }
}
