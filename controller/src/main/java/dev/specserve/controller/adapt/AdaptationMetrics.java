package dev.specserve.controller.adapt;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.ToDoubleFunction;

/**
 * The counters of an adaptation loop ({@link AdaptationController}), in a local replica's loop and the fleet's
 * trainer alike: its bandit's decisions by arm, and what it left out or failed to do.
 */
final class AdaptationMetrics {
    private AdaptationMetrics() {}

    static void register(AdaptationController controller, String drafterId, MeterRegistry registry) {
        controller.addDecisionLog(d -> io.micrometer.core.instrument.Counter.builder("specserve.bandit.decisions")
                .description("Decisions of the cost-aware bandit, by arm (wait or an update of that size)")
                .tag("drafter", drafterId).tag("arm", d.arm().name()).register(registry).increment());
        counter(registry, drafterId, controller, "specserve.adaptation.stale_samples", c -> c.dropped().staleSamples(),
                "Training labels dropped because a newer drafter file replaced the one that drafted them");
        counter(registry, drafterId, controller, "specserve.adaptation.invalid_samples",
                c -> c.dropped().invalidSamples(), "Training samples refused because they cannot be the drafter's "
                        + "(another hidden size, a non-finite value, a target token outside the vocabulary)");
        counter(registry, drafterId, controller, "specserve.adaptation.future_rounds", c -> c.dropped().futureRounds(),
                "Round events left out because they were stamped over a minute ahead of this clock");
        counter(registry, drafterId, controller, "specserve.adaptation.idle_rounds", c -> c.dropped().idleRounds(),
                "Round events left out because they report no draft or verify time");
        counter(registry, drafterId, controller, "specserve.adaptation.failed_epochs", c -> c.dropped().failedEpochs(),
                "Decision epochs that failed, losing their decision (the log has the cause)");
    }

    private static void counter(MeterRegistry registry, String drafterId, AdaptationController controller,
                                String name, ToDoubleFunction<AdaptationController> count, String description) {
        FunctionCounter.builder(name, controller, count).description(description).tag("drafter", drafterId)
                .register(registry);
    }
}
