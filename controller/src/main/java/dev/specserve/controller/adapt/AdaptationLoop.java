package dev.specserve.controller.adapt;

import dev.specserve.bandit.CostAwareBandit;
import dev.specserve.controller.config.ServerConfig;
import dev.specserve.controller.feedback.FeedbackWiring;
import dev.specserve.drafters.ModelStack;
import dev.specserve.drafters.update.DrafterUpdater;
import dev.specserve.drafters.update.LmHead;
import dev.specserve.runtime.engine.Engine;
import dev.specserve.telemetry.FeedbackConsumer;
import dev.specserve.telemetry.FeedbackPublisher;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Assembles the adaptation loop of a serving process: a Kafka consumer (group per drafter id, so one
 * controller acts per drafter) feeding the {@link AdaptationController}, which trains and hot-swaps.
 */
public final class AdaptationLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AdaptationLoop.class);

    private final AdaptationController controller;
    private final FeedbackConsumer consumer;
    private final FleetUpdates fleet;

    private AdaptationLoop(AdaptationController controller, FeedbackConsumer consumer, FleetUpdates fleet) {
        this.controller = controller;
        this.consumer = consumer;
        this.fleet = fleet;
    }

    /** How long a starting server waits for the fleet's drafter versions before its APIs open. */
    static final Duration REPLAY_WAIT = Duration.ofSeconds(10);

    public static AdaptationLoop start(ModelStack stack, Engine engine, int maxBatch, FeedbackWiring wiring,
                                       String drafterId, ServerConfig.Adaptation tuning, List<Path> modelRoots,
                                       MeterRegistry registry) {
        AdaptationController controller = controller(stack, drafterId, tuning,
                () -> new AdaptationController.Load(engine.running(), engine.waiting()), maxBatch,
                wiring.publisher(), wiring.replicaId());
        String group = "specserve-adaptation-" + drafterId.replaceAll("[^A-Za-z0-9._-]", "_");
        FeedbackConsumer consumer = new FeedbackConsumer(wiring.publisher().config(), group, controller, registry);
        FleetUpdates fleet = new FleetUpdates(wiring.publisher().config(), drafterId, stack.versions(), registry,
                new FleetUpdates.Follow(v -> controller.follow(v, "published by the fleet"),
                        ModelRootFiles.within(modelRoots, stack::loadDrafter)).numbering());
        AdaptationMetrics.register(controller, drafterId, registry);
        controller.announceTo(fleet);
        controller.decideOnlyWhen(fleet::caughtUp); // serving starts at once; updates once the fleet's are read
        consumer.start();
        controller.start();
        fleet.awaitReplay(REPLAY_WAIT);
        LOG.info("adaptation consumer group '{}' reads feedback and samples for drafter {}", group, drafterId);
        return new AdaptationLoop(controller, consumer, fleet);
    }

    /** The id a drafter's feedback, samples and versions go by: the model's name and the drafter file's. */
    public static String drafterId(ModelStack stack) {
        return stack.manifest().name() + "/" + stack.manifest().drafter().file().getFileName();
    }

    /** The loop for {@code stack}'s drafter with the serving tuning (the bandit's arms and the updater's optimiser). */
    static AdaptationController controller(ModelStack stack, String drafterId, ServerConfig.Adaptation tuning,
                                           Supplier<AdaptationController.Load> load, int maxBatch,
                                           FeedbackPublisher publisher, String replicaId) {
        var manifest = stack.manifest();
        LmHead head = LmHead.forDrafter(manifest);
        DrafterUpdater updater = AdaptationTuning.updater(stack.versions(), head, tuning.trainingThreads());
        CostAwareBandit bandit = new CostAwareBandit(AdaptationTuning.bandit(7, tuning.horizonSeconds()));
        AdaptationController.Settings settings = new AdaptationController.Settings(drafterId,
                Duration.ofSeconds(tuning.epochSeconds()), Duration.ofSeconds(30), tuning.rollbackWindowRounds(),
                tuning.rollbackMargin(), 7);
        AdaptationController controller = new AdaptationController(settings, stack.versions(), updater, bandit, load,
                maxBatch, publisher, replicaId);
        controller.targetVocabulary(manifest.target().vocab());
        return controller;
    }

    public AdaptationController controller() {
        return controller;
    }

    @Override
    public void close() {
        consumer.close();
        controller.close();
        fleet.close();
    }
}
