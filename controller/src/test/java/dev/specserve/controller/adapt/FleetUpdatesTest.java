package dev.specserve.controller.adapt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.specserve.drafters.Adapter;
import dev.specserve.drafters.DrafterVersion;
import dev.specserve.drafters.DrafterVersions;
import dev.specserve.drafters.update.AdapterTrainer;
import dev.specserve.telemetry.DrafterUpdate;
import dev.specserve.telemetry.EmbeddedKafka;
import dev.specserve.telemetry.TelemetryConfig;
import dev.specserve.telemetry.TopicAdmin;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An update accepted on one replica becomes current on every replica, including one started afterwards. */
class FleetUpdatesTest {
    static final String DRAFTER = "demo/drafter";

    @TempDir
    Path dir;

    @Test
    void aSecondReplicaAndALateReplicaApplyTheUpdatePublishedByTheFirst() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.startIn(dir.resolve("kafka"))) {
            TelemetryConfig a = TelemetryConfig.builder(kafka.bootstrapServers()).replicaId("a").build();
            TelemetryConfig b = TelemetryConfig.builder(kafka.bootstrapServers()).replicaId("b").build();
            TelemetryConfig c = TelemetryConfig.builder(kafka.bootstrapServers()).replicaId("c").build();
            TopicAdmin.ensureTopics(a, java.time.Duration.ofSeconds(30));
            DrafterVersions first = new DrafterVersions(Adapter.zero(4, 8));
            DrafterVersions second = new DrafterVersions(Adapter.zero(4, 8));
            try (FleetUpdates fleetA = new FleetUpdates(a, DRAFTER, first);
                 FleetUpdates fleetB = new FleetUpdates(b, DRAFTER, second)) {
                DrafterVersion v = first.create(AdapterTrainer.initial(4, 8, 3), 1, Map.of("steps", 32));
                first.activate(v);
                fleetA.publish(v);

                await(() -> second.current().id() == v.id(), "second replica applies the update");
                assertThat(second.current().adapter().a()).containsExactly(v.adapter().a());
                assertThat(second.current().parentId()).isEqualTo(1);

                DrafterVersions late = new DrafterVersions(Adapter.zero(4, 8));
                try (FleetUpdates fleetC = new FleetUpdates(c, DRAFTER, late)) {
                    await(() -> late.current().id() == v.id(), "a replica started later applies it too");
                }
                assertThat(first.current().id()).as("the publisher keeps its own version").isEqualTo(v.id());
            }
        }
    }

    @Test
    void aVersionMadeCurrentWhileTheBrokerIsDownReachesTheFleetOnceItIsBack() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.startIn(dir.resolve("kafka"))) {
            TelemetryConfig t = replica(kafka, "trainer");
            TelemetryConfig f = replica(kafka, "follower");
            DrafterVersions trainer = new DrafterVersions(Adapter.zero(4, 8));
            DrafterVersions follower = new DrafterVersions(Adapter.zero(4, 8));
            var registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
            try (FleetUpdates publishing = new FleetUpdates(t, DRAFTER, trainer, registry);
                 FleetUpdates following = new FleetUpdates(f, DRAFTER, follower)) {
                DrafterVersion v2 = trainer.create(AdapterTrainer.initial(4, 8, 3), 1, Map.of());
                trainer.activate(v2);
                publishing.publish(v2);
                await(() -> follower.current().id() == 2, "version 2 follows");
                assertThat(registry.get(FleetUpdates.CAUGHT_UP).gauge().value()).isEqualTo(1.0);

                kafka.stop();
                DrafterVersion v3 = trainer.create(AdapterTrainer.initial(4, 8, 4), 2, Map.of());
                trainer.activate(v3);
                assertThatThrownBy(() -> publishing.publish(v3)).hasMessageContaining("could not publish drafter update 3");
                assertThat(registry.get(PendingAnnouncement.UNANNOUNCED).gauge().value()).isEqualTo(1.0);
                kafka.start();

                await(() -> follower.current().id() == 3, "version 3 reaches the follower once the broker is back");
                await(() -> registry.get(PendingAnnouncement.UNANNOUNCED).gauge().value() == 0, "nothing waits");
                assertThat(registry.get(PendingAnnouncement.FAILURES).counter().count()).isPositive();
            }
        }
    }

    @Test
    void aFollowerAppliesEveryLaterRecordInTopicOrderSoARollbackToASmallerIdIsFollowed() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.startIn(dir.resolve("kafka"))) {
            TelemetryConfig t = replica(kafka, "trainer");
            TelemetryConfig f = replica(kafka, "follower");
            DrafterVersions trainer = new DrafterVersions(Adapter.zero(4, 8));
            DrafterVersions follower = new DrafterVersions(Adapter.zero(4, 8));
            try (FleetUpdates publishing = new FleetUpdates(t, DRAFTER, trainer);
                 FleetUpdates following = new FleetUpdates(f, DRAFTER, follower)) {
                DrafterVersion v2 = trainer.create(AdapterTrainer.initial(4, 8, 3), 1, Map.of("steps", 32));
                trainer.activate(v2);
                publishing.publish(v2);
                await(() -> follower.current().id() == 2, "version 2 follows");

                DrafterVersion v3 = trainer.create(AdapterTrainer.initial(4, 8, 4), 2, Map.of());
                trainer.activate(v3);
                publishing.publish(v3);
                await(() -> follower.current().id() == 3, "version 3 follows");
                trainer.rollback();
                publishing.changed(trainer.current(), DrafterUpdate.Kind.ROLLBACK);

                await(() -> follower.current().id() == 2, "the rollback to the smaller id 2 is followed too");
                assertThat(follower.current().adapter().a()).containsExactly(v2.adapter().a());
                assertThat(following.rejected().values()).allMatch(n -> n == 0);
            }
        }
    }

    @Test
    void aRestartedPublisherCatchesUpOnWhatItPublishedBeforeAndNumbersAboveIt() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.startIn(dir.resolve("kafka"))) {
            TelemetryConfig trainer = TelemetryConfig.builder(kafka.bootstrapServers()).replicaId("trainer").build();
            TopicAdmin.ensureTopics(trainer, java.time.Duration.ofSeconds(30));
            DrafterVersions before = new DrafterVersions(Adapter.zero(4, 8));
            DrafterVersion v2 = before.create(AdapterTrainer.initial(4, 8, 3), 1, Map.of());
            try (FleetUpdates first = new FleetUpdates(trainer, DRAFTER, before)) {
                before.activate(v2);
                first.publish(v2);
            }
            DrafterVersions after = new DrafterVersions(Adapter.zero(4, 8));
            try (FleetUpdates restarted = new FleetUpdates(trainer, DRAFTER, after)) {
                assertThat(restarted.awaitCaughtUp(java.time.Duration.ofSeconds(60))).isTrue();

                assertThat(after.current().id()).as("its own earlier version, served again").isEqualTo(2);
                assertThat(after.current().adapter().a()).containsExactly(v2.adapter().a());
                assertThat(after.create(AdapterTrainer.initial(4, 8, 4), 2, Map.of()).id())
                        .as("the next id continues above the fleet's").isEqualTo(3);
            }
        }
    }

    @Test
    void anAdapterTrainedForAnotherDrafterFileIsRejectedAndNeverServed() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.startIn(dir.resolve("kafka"))) {
            TelemetryConfig a = TelemetryConfig.builder(kafka.bootstrapServers()).replicaId("a").build();
            TelemetryConfig b = TelemetryConfig.builder(kafka.bootstrapServers()).replicaId("b").build();
            TopicAdmin.ensureTopics(a, java.time.Duration.ofSeconds(30));
            DrafterVersions onFileX = new DrafterVersions(handle("x"), Adapter.zero(4, 8));
            DrafterVersions onFileY = new DrafterVersions(handle("y"), Adapter.zero(4, 8));
            try (FleetUpdates publisher = new FleetUpdates(a, DRAFTER, onFileX);
                 FleetUpdates receiver = new FleetUpdates(b, DRAFTER, onFileY)) {
                DrafterVersion v = onFileX.create(AdapterTrainer.initial(4, 8, 3), 1, Map.of("steps", 32));
                publisher.publish(v);

                await(() -> receiver.rejected().get(FleetUpdates.OTHER_MODEL) == 1, "the update is rejected");
                assertThat(onFileY.current().id()).isEqualTo(1);
                assertThat(onFileY.find(v.id())).isEmpty();
            }
        }
    }

    @Test
    void aPublishedDrafterFileIsOpenedFromTheModelRootsOnlyAndAPathOutsideThemIsRefused() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.startIn(dir.resolve("kafka"))) {
            TelemetryConfig a = TelemetryConfig.builder(kafka.bootstrapServers()).replicaId("a").build();
            TelemetryConfig b = TelemetryConfig.builder(kafka.bootstrapServers()).replicaId("b").build();
            TopicAdmin.ensureTopics(a, java.time.Duration.ofSeconds(30));
            Path roots = java.nio.file.Files.createDirectories(dir.resolve("models"));
            Path inside = java.nio.file.Files.writeString(roots.resolve("drafter-v2.onnx"), "v2");
            Path outside = java.nio.file.Files.writeString(dir.resolve("elsewhere.onnx"), "v3");
            DrafterVersions publisher = new DrafterVersions(handle("x"), Adapter.zero(4, 8));
            DrafterVersions follower = new DrafterVersions(handle("x"), Adapter.zero(4, 8));
            java.util.List<Path> opened = new java.util.concurrent.CopyOnWriteArrayList<>();
            var follow = new FleetUpdates.Follow(follower::activate, ModelRootFiles.within(java.util.List.of(roots),
                    (file, sha) -> {
                        opened.add(file);
                        return follower.createWithModel(handle(sha), Adapter.zero(4, 8), follower.current().id(),
                                Map.of());
                    }));
            try (FleetUpdates publishing = new FleetUpdates(a, DRAFTER, publisher);
                 FleetUpdates following = new FleetUpdates(b, DRAFTER, follower,
                         new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), follow)) {
                DrafterVersion v3 = publisher.createWithModel(fileHandle(outside, "sha-v3"), Adapter.zero(4, 8), 1,
                        Map.of());
                publisher.activate(v3);
                publishing.changed(v3, DrafterUpdate.Kind.LOAD);
                await(() -> following.rejected().get(FleetUpdates.OTHER_MODEL) == 1, "the path outside is refused");

                DrafterVersion v4 = publisher.createWithModel(fileHandle(inside, "sha-v4"), Adapter.zero(4, 8), 1,
                        Map.of());
                publisher.activate(v4);
                publishing.changed(v4, DrafterUpdate.Kind.LOAD);
                await(() -> follower.current().id() == v4.id(), "the file inside is opened and its version served");

                assertThat(opened).containsExactly(inside.toRealPath());
                assertThat(follower.current().model().fingerprint()).isEqualTo("sha-v4");
            }
        }
    }

    @Test
    void aFollowersLoadWithNoTrainerTimesOutNamingTheFileAndChangesNothingThenATrainerCarriesOutTheNextRequest()
            throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.startIn(dir.resolve("kafka"))) {
            TelemetryConfig f = TelemetryConfig.builder(kafka.bootstrapServers()).replicaId("follower").build();
            TelemetryConfig t = TelemetryConfig.builder(kafka.bootstrapServers()).replicaId("trainer").build();
            TopicAdmin.ensureTopics(f, java.time.Duration.ofSeconds(30));
            Path file = java.nio.file.Files.writeString(dir.resolve("drafter-v2.onnx"), "v2");
            DrafterVersions follower = new DrafterVersions(handle("sha-v1"), Adapter.zero(4, 8));
            var follow = new FleetUpdates.Follow(follower::activate, (path, sha) -> follower.createWithModel(
                    fileHandle(path, sha), Adapter.zero(4, 8), follower.current().id(), Map.of()));
            try (FleetUpdates following = new FleetUpdates(f, DRAFTER, follower,
                    new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), follow)) {
                assertThat(following.awaitCaughtUp(java.time.Duration.ofSeconds(30))).isTrue();
                DrafterVersion before = follower.current();

                assertThatThrownBy(() -> following.requestLoad(file, "sha-v2", java.time.Duration.ofMillis(1500)))
                        .isInstanceOf(dev.specserve.runtime.engine.ServiceUnavailableException.class) // 503
                        .hasMessageContaining(file.toString())
                        .hasMessageContaining("no trainer published a version of it within 1 s")
                        .hasMessageContaining("nothing changed here")
                        .hasMessageNotContaining("specserve_drafter_updates_rejected_total") // the trainer serves none
                        .satisfies(e -> assertThat(e.getStackTrace()).as("logged as a WARN line, no trace").isEmpty());
                assertThat(follower.current()).as("a timed-out request changes nothing").isSameAs(before);

                DrafterVersions trainerVersions = new DrafterVersions(handle("sha-v1"), Adapter.zero(4, 8));
                var numbering = new FleetUpdates.Follow(trainerVersions::activate, (path, sha) ->
                        trainerVersions.createWithModel(fileHandle(path, sha), Adapter.zero(4, 8),
                                trainerVersions.current().id(), Map.of())).numbering();
                try (FleetUpdates trainer = new FleetUpdates(t, DRAFTER, trainerVersions,
                        new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), numbering)) {
                    assertThat(trainer.awaitCaughtUp(java.time.Duration.ofSeconds(30))).isTrue();
                    assertThat(trainerVersions.current().model().fingerprint())
                            .as("the old request, read while catching up, is not carried out").isEqualTo("sha-v1");

                    DrafterVersion served = following.requestLoad(file, "sha-v2", java.time.Duration.ofSeconds(30));

                    assertThat(served.model().fingerprint()).isEqualTo("sha-v2");
                    assertThat(served.id()).as("numbered by the trainer").isEqualTo(trainerVersions.current().id());
                    assertThat(follower.current().id()).isEqualTo(served.id());
                }
            }
        }
    }

    /** A drafter file at {@code path} as the loader describes it, known by {@code sha}. */
    static dev.specserve.drafters.DrafterModelHandle fileHandle(Path path, String sha) {
        return new dev.specserve.drafters.DrafterModelHandle(2, path + " (sha256 " + sha + ")", sha, null, () -> null);
    }

    /** A drafter file known only by its checksum, with no session behind it. */
    static dev.specserve.drafters.DrafterModelHandle handle(String sha) {
        return new dev.specserve.drafters.DrafterModelHandle(1, "test file " + sha, sha, null, () -> null);
    }

    /** A process's telemetry config on {@code kafka}, its topics made. */
    static TelemetryConfig replica(EmbeddedKafka kafka, String id) {
        TelemetryConfig c = TelemetryConfig.builder(kafka.bootstrapServers()).replicaId(id).build();
        TopicAdmin.ensureTopics(c, java.time.Duration.ofSeconds(30));
        return c;
    }

    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting: " + what);
            }
            Thread.sleep(50);
        }
    }
}
