package dev.specserve.controller.adapt;

import dev.specserve.controller.config.AdaptationMode;
import dev.specserve.controller.config.ServerConfig;
import dev.specserve.controller.feedback.FeedbackWiring;
import dev.specserve.drafters.ModelStack;
import dev.specserve.runtime.engine.Engine;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A serving process's part in adaptation, by {@link AdaptationMode}: {@code local} runs the whole loop here
 * ({@link AdaptationLoop}); {@code follow} only applies the versions the fleet publishes ({@link FleetUpdates}) and
 * announces its operator's swaps, rollbacks and drafter files; {@code off} does neither. Feedback is published in
 * every mode (the trainer learns from it).
 */
public final class ReplicaAdaptation implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicaAdaptation.class);

    private final AdaptationLoop loop;
    private final FleetUpdates follower;
    private final DrafterAdmin admin;

    private ReplicaAdaptation(AdaptationLoop loop, FleetUpdates follower, DrafterAdmin admin) {
        this.loop = loop;
        this.follower = follower;
        this.admin = admin;
    }

    /**
     * Starts this process's part; {@code wiring} must be enabled (feedback goes to Kafka). Drafter files the fleet
     * publishes are opened only from {@code modelRoots}.
     */
    public static ReplicaAdaptation start(ModelStack stack, Engine engine, int maxBatch, FeedbackWiring wiring,
                                          ServerConfig.Adaptation tuning, List<Path> modelRoots,
                                          MeterRegistry registry) {
        String drafterId = AdaptationLoop.drafterId(stack);
        return switch (tuning.mode()) {
            case LOCAL -> {
                AdaptationLoop loop = AdaptationLoop.start(stack, engine, maxBatch, wiring, drafterId, tuning,
                        modelRoots, registry);
                yield new ReplicaAdaptation(loop, null, new DrafterAdmin(stack, loop.controller()));
            }
            case FOLLOW -> {
                FleetUpdates fleet = new FleetUpdates(wiring.publisher().config(), drafterId, stack.versions(),
                        registry, new FleetUpdates.Follow(stack.versions()::activate,
                                ModelRootFiles.within(modelRoots, stack::loadDrafter)));
                fleet.awaitReplay(AdaptationLoop.REPLAY_WAIT);
                LOG.info("adaptation=follow: drafter {} serves the versions published on {} (by a trainer)",
                        drafterId, wiring.publisher().config().updatesTopic());
                yield new ReplicaAdaptation(null, fleet, DrafterAdmin.following(stack, fleet));
            }
            case OFF -> {
                LOG.info("adaptation=off: drafter {} changes only by operator action", drafterId);
                yield new ReplicaAdaptation(null, null, new DrafterAdmin(stack, null));
            }
        };
    }

    /** The admin actions over this process's drafter versions. */
    public DrafterAdmin admin() {
        return admin;
    }

    /** The local loop, when {@code adaptation=local}. */
    public AdaptationLoop loop() {
        return loop;
    }

    @Override
    public void close() {
        if (loop != null) {
            loop.close();
        }
        if (follower != null) {
            follower.close();
        }
    }
}
