package dev.specserve.controller.server;

import dev.specserve.runtime.engine.EngineListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Where the scheduler thread's time goes: {@code specserve_engine_busy_seconds_total{phase}} with phase
 * {@code prefill} (prompt chunks) or {@code round} (drafting, verifying and accepting for the decoding batch).
 * Their sum against wall time is how saturated the engine is; their ratio says whether prompts or decoding use it.
 */
final class EngineBusyMetrics implements EngineListener {
    private final Counter prefill;
    private final Counter round;

    EngineBusyMetrics(MeterRegistry registry) {
        prefill = counter(registry, "prefill");
        round = counter(registry, "round");
    }

    private static Counter counter(MeterRegistry registry, String phase) {
        return Counter.builder("specserve.engine.busy").baseUnit("seconds").tag("phase", phase)
                .description("Seconds the scheduler thread spent on model work, by phase").register(registry);
    }

    @Override
    public void onBusy(String phase, long nanos) {
        if (nanos > 0) {
            (phase.equals("prefill") ? prefill : round).increment(nanos / 1e9);
        }
    }
}
