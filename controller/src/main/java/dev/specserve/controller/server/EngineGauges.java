package dev.specserve.controller.server;

import dev.specserve.runtime.engine.GenerationService;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The engine's state, read when scraped: running and waiting requests against the batch and queue capacity (so
 * alerts need no per-deployment numbers), the prefix cache, the drafter version, listener failures, and the goodput
 * planner's learned cost models and decision shares. {@link MetricsRecorder} counts the events.
 */
final class EngineGauges {
    private static final java.util.Map<String, String> PLANNER_DESCRIPTIONS = java.util.Map.ofEntries(
            java.util.Map.entry("verify_cost_intercept_ms",
                    "Goodput planner's verify cost model: fixed ms per verification"),
            java.util.Map.entry("verify_cost_per_token_ms",
                    "Goodput planner's verify cost model: ms per verified token"),
            java.util.Map.entry("verify_cost_per_kv_kilorow_ms",
                    "Goodput planner's verify cost model: ms per 1024 KV rows read"),
            java.util.Map.entry("verify_cost_predicted_over_actual",
                    "Goodput planner's verify cost model: predicted ms over measured ms "
                    + "for the verifications so far (1 when calibrated)"),
            java.util.Map.entry("draft_cost_intercept_ms",
                    "Goodput planner's drafter cost model: fixed ms per drafter call"),
            java.util.Map.entry("draft_cost_per_row_ms", "Goodput planner's drafter cost model: ms per row fed"),
            java.util.Map.entry("plain_step_ratio",
                    "Share of sequences' planned rounds the goodput planner decoded plainly (no draft)"),
            java.util.Map.entry("model_probe_interval_rounds",
                    "Planned rounds between the goodput planner's probes of the drafter model (doubles while probes fail)"),
            java.util.Map.entry("model_call_ratio",
                    "Share of sequences' planned rounds in which the goodput planner bought a drafter forward"),
            java.util.Map.entry("model_batch_mean",
                    "Mean sequences per batched drafter proposal the goodput planner bought"),
            java.util.Map.entry("cost_outliers_left_out",
                    "Timed forwards the goodput planner's cost models left out of their fit as "
                    + "outliers (over 4x the prediction)"),
            java.util.Map.entry("acceptance_discount_greedy", "What the goodput planner multiplies greedy tree "
                    + "values by: tokens its verified trees got over what their raw estimates promised (1 when they "
                    + "deliver)"),
            java.util.Map.entry("acceptance_discount_sampled", "The same discount for sampling sequences"));

    private EngineGauges() {
    }

    static void register(MeterRegistry registry, GenerationService service, int batchSlots, int queueCapacity) {
        Gauge.builder("specserve.batch_slots", () -> batchSlots)
                .description("Sequences verified together at most (max_batch)").register(registry);
        Gauge.builder("specserve.queue_capacity", () -> queueCapacity)
                .description("Requests that may wait for a batch slot (queue_capacity)").register(registry);
        Gauge.builder("specserve.num_requests_running", service, GenerationService::running).strongReference(true)
                .description("Requests in the running batch").register(registry);
        Gauge.builder("specserve.num_requests_waiting", service, GenerationService::waiting).strongReference(true)
                .description("Requests waiting in the queue").register(registry);
        Gauge.builder("specserve.prefix_cache.bytes", service, s -> s.prefixCache().bytes())
                .strongReference(true).description("Bytes held by the prefix cache").register(registry);
        Gauge.builder("specserve.prefix_cache.hit_rate", service, s -> s.prefixCache().hitRate())
                .strongReference(true).description("Fraction of prompt tokens served from the prefix cache")
                .register(registry);
        FunctionCounter.builder("specserve.prefix_cache.skipped_blocks", service,
                        s -> s.prefixCache().skippedBlocks())
                .description("Prompt blocks not cached because all of the prefix cache's memory was in use")
                .register(registry);
        FunctionCounter.builder("specserve.engine.listener_errors", service, GenerationService::listenerFailures)
                .description("Engine notifications a listener threw on (a feedback event that could not be built, "
                        + "say): each is an event lost, and the log has its reason").register(registry);
        Gauge.builder("specserve.drafter.version", service, GenerationService::drafterVersion).strongReference(true)
                .description("Version id of the drafter in use").register(registry);
        FunctionCounter.builder("specserve.access_log.dropped", dev.specserve.controller.logging.AccessLogAppender.class,
                        c -> dev.specserve.controller.logging.AccessLogAppender.dropped())
                .description("Access log lines dropped because the log could not keep up (never blocking a request)")
                .register(registry);
        planner(registry, service);
    }

    private static final String OUTLIERS = "cost_outliers_left_out";

    /** The goodput planner's learned state: cost-model coefficients and how often it decoded plainly. */
    private static void planner(MeterRegistry registry, GenerationService service) {
        for (String key : service.plannerState().keySet()) {
            if (key.equals(OUTLIERS)) { // only ever grows: a counter
                FunctionCounter.builder("specserve.planner." + key, service,
                        s -> s.plannerState().getOrDefault(key, 0.0)).description(PLANNER_DESCRIPTIONS.get(key))
                        .register(registry);
                continue;
            }
            Gauge.builder("specserve.planner." + key, service, s -> s.plannerState().getOrDefault(key, 0.0))
                    .strongReference(true).description(PLANNER_DESCRIPTIONS.getOrDefault(key, "goodput planner state"))
                    .register(registry);
        }
    }
}
