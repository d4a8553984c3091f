package dev.specserve.controller.adapt;

import dev.specserve.controller.config.ServerConfig;
import dev.specserve.drafters.ModelStack;
import dev.specserve.telemetry.FeedbackConsumer;
import dev.specserve.telemetry.FeedbackPublisher;
import dev.specserve.telemetry.TelemetryConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer role of a fleet ({@code specserve trainer}): one process learns for every replica. It reads the
 * round events and training samples of <em>all</em> replicas (its own consumer group, so it gets every partition),
 * runs the bandit, the updater and the shadow check ({@link AdaptationController}), and publishes each version it
 * makes current, and each rollback, on the updates topic, which the replicas ({@code adaptation=follow}) apply.
 * It follows that topic too: a swap, rollback or drafter file an operator makes on a replica becomes the trainer's
 * current version, so its rollback guard and its next update start from what the fleet serves.
 *
 * <p>It serves nothing, so an update's training takes no serving capacity: the bandit is given an idle load, and
 * an update costs the fleet its swap. It numbers versions only after it has read every version already on the
 * topic, so its ids continue above the fleet's.
 */
public final class FleetTrainer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FleetTrainer.class);
    private static final Duration CATCH_UP = Duration.ofSeconds(60);

    private final AdaptationController controller;
    private final FleetUpdates fleet;
    private final FeedbackPublisher publisher;
    private final FleetTally tally;
    private final ReplicaVersions replicaVersions = new ReplicaVersions(ReplicaVersions.GRACE.toMillis());
    private final dev.specserve.drafters.DrafterVersions versions;
    private final ScheduledExecutorService progress = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "specserve-trainer-progress");
        t.setDaemon(true);
        return t;
    });
    private volatile FeedbackConsumer consumer;

    private FleetTrainer(AdaptationController controller, FleetUpdates fleet, FeedbackPublisher publisher,
                         dev.specserve.drafters.DrafterVersions versions, String drafterId) {
        this.controller = controller;
        this.fleet = fleet;
        this.publisher = publisher;
        this.versions = versions;
        this.tally = new FleetTally(controller, drafterId, replicaVersions, () -> versions.current().id());
    }

    /** The consumer group the trainer of {@code drafterId} reads the fleet's feedback with. */
    public static String group(String drafterId) {
        return "specserve-trainer-" + drafterId.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    /**
     * Starts training for {@code stack}'s drafter; logs what it has learnt from every {@code progressEvery}. Drafter
     * files the fleet publishes are opened only from {@code modelRoots}. Throws IllegalStateException when the
     * updates topic cannot be read within a minute.
     */
    public static FleetTrainer start(ModelStack stack, TelemetryConfig telemetry, ServerConfig.Adaptation tuning,
                                     List<Path> modelRoots, MeterRegistry registry, Duration progressEvery)
            throws InterruptedException {
        String drafterId = AdaptationLoop.drafterId(stack);
        FeedbackPublisher publisher = new FeedbackPublisher(telemetry, registry);
        AdaptationController controller = AdaptationLoop.controller(stack, drafterId, tuning,
                () -> new AdaptationController.Load(0, 0), 1, publisher, telemetry.replicaId());
        FleetUpdates fleet = new FleetUpdates(telemetry, drafterId, stack.versions(), registry,
                new FleetUpdates.Follow(v -> controller.follow(v, "published by the fleet"),
                        ModelRootFiles.within(modelRoots, stack::loadDrafter)).numbering());
        AdaptationMetrics.register(controller, drafterId, registry);
        FleetTrainer trainer = new FleetTrainer(controller, fleet, publisher, stack.versions(), drafterId);
        ReplicaVersions.gauge(registry, drafterId, () -> trainer.replicasBehind().size());
        try {
            LOG.info("trainer for drafter {}: reading the versions already on {}", drafterId, telemetry.updatesTopic());
            if (!fleet.awaitCaughtUp(CATCH_UP)) {
                throw new IllegalStateException("could not read " + telemetry.updatesTopic() + " from "
                        + telemetry.bootstrapServers() + " within " + CATCH_UP.toSeconds() + " s");
            }
            controller.announceTo(fleet);
            trainer.consumer = new FeedbackConsumer(telemetry, group(drafterId), trainer.tally, registry).start();
            controller.start();
        } catch (RuntimeException | InterruptedException e) {
            trainer.close();
            throw e;
        }
        LOG.info("trainer for drafter {} at version {}: consumer group '{}' reads every replica's rounds and samples; "
                + "versions go to {}", drafterId, stack.versions().current().id(), group(drafterId),
                telemetry.updatesTopic());
        long ms = progressEvery.toMillis();
        trainer.progress.scheduleWithFixedDelay(trainer::logProgress, ms, ms, TimeUnit.MILLISECONDS); // no burst after a pause
        return trainer;
    }

    public AdaptationController controller() {
        return controller;
    }

    /** Rounds and samples received so far, by replica id. */
    public Map<String, FleetTally.Counts> received() {
        return tally.byReplica();
    }

    public Map<String, Long> rejected() {
        return fleet.rejected();
    }

    /** The drafter version each replica's latest round was drafted by, by replica id. */
    public Map<String, Long> replicaVersions() {
        return replicaVersions.serving();
    }

    /** Replicas still serving another version than the trainer's current one, past the grace period. */
    List<ReplicaVersions.Behind> replicasBehind() {
        replicaVersions.current(versions.current().id(), System.currentTimeMillis());
        return replicaVersions.behind(System.currentTimeMillis());
    }

    private void logProgress() {
        AdaptationController.Activity a = controller.activity();
        AdaptationController.Dropped d = controller.dropped();
        LOG.info("trainer: received {}; {} updates ({} s training), {} swaps, {} rollbacks, feedback lag {}; left out "
                + "{} invalid and {} stale samples, {} idle and {} future rounds; {} failed epochs; versions refused {}",
                tally.byReplica(), a.updates(), String.format("%.1f", a.updateSeconds()), a.swaps(), a.rollbacks(),
                consumer == null ? 0 : consumer.lag(), d.invalidSamples(), d.staleSamples(), d.idleRounds(),
                d.futureRounds(), d.failedEpochs(), fleet.rejected());
        replicasBehind().forEach(ReplicaVersions.Behind::warn);
    }

    /** Stops reading, training and following; flushes the decision events. */
    @Override
    public void close() {
        progress.shutdownNow();
        if (consumer != null) {
            consumer.close();
        }
        controller.close();
        fleet.close();
        publisher.close();
    }
}
