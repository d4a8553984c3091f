package dev.specserve.controller.adapt;

import static dev.specserve.controller.adapt.FleetUpdatesTest.DRAFTER;
import static dev.specserve.controller.adapt.FleetUpdatesTest.await;
import static dev.specserve.controller.adapt.FleetUpdatesTest.fileHandle;
import static dev.specserve.controller.adapt.FleetUpdatesTest.handle;
import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.drafters.Adapter;
import dev.specserve.drafters.DrafterVersion;
import dev.specserve.drafters.DrafterVersions;
import dev.specserve.drafters.update.AdapterTrainer;
import dev.specserve.telemetry.DrafterUpdate;
import dev.specserve.telemetry.DrafterUpdateChannel;
import dev.specserve.telemetry.EmbeddedKafka;
import dev.specserve.telemetry.TelemetryConfig;
import dev.specserve.telemetry.TopicAdmin;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Version ids and files across the fleet when the topic has been compacted, more than one process numbers versions,
 * or a publisher lies about the highest: a late follower still follows, one id is never served silently with two
 * sets of weights, and nothing puts the fleet's next versions out of every follower's reach.
 */
class FleetIdsTest {
    @TempDir
    Path dir;

    private static TelemetryConfig config(EmbeddedKafka kafka, String replica) {
        return TelemetryConfig.builder(kafka.bootstrapServers()).replicaId(replica).build();
    }

    /** A follower that starts on a compacted topic whose drafter record is an UPDATE over a loaded file. */
    @Test
    void aFollowerStartingAfterCompactionFollowsAVersionTrainedOnAFileItNeverSawLoaded() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.startIn(dir.resolve("kafka"))) {
            TelemetryConfig cfg = config(kafka, "replica");
            TopicAdmin.ensureTopics(cfg, Duration.ofSeconds(30));
            Path file = java.nio.file.Files.writeString(dir.resolve("drafter-v2.onnx"), "v2");
            DrafterVersions trainer = new DrafterVersions(handle("sha-v1"), Adapter.zero(4, 8));
            DrafterVersion loaded = trainer.createWithModel(fileHandle(file, "sha-v2"), Adapter.zero(4, 8), 1, Map.of());
            trainer.activate(loaded);
            DrafterVersion upd = trainer.create(AdapterTrainer.initial(4, 8, 3), loaded.id(), Map.of());
            trainer.activate(upd);
            // what compaction leaves: only the last drafter record (the UPDATE on the loaded file)
            try (DrafterUpdateChannel out = new DrafterUpdateChannel(cfg, (k, u) -> { })) {
                Adapter a = upd.adapter();
                out.publish(DRAFTER, new DrafterUpdate(upd.id(), upd.parentId(), 4, 8, a.a(), a.b(),
                        FleetRecord.metrics(upd), DrafterUpdate.Kind.UPDATE, "trainer#x"));
            }
            DrafterVersions follower = new DrafterVersions(handle("sha-v1"), Adapter.zero(4, 8));
            var follow = new FleetUpdates.Follow(follower::activate, (path, sha) -> follower.createWithModel(
                    fileHandle(path, sha), Adapter.zero(4, 8), follower.current().id(), Map.of()));
            try (FleetUpdates f = new FleetUpdates(cfg, DRAFTER, follower, new SimpleMeterRegistry(), follow)) {
                assertThat(f.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
                await(() -> follower.current().id() == upd.id(), "the follower serves the fleet's last record");
                assertThat(follower.current().model().fingerprint()).isEqualTo("sha-v2");
                assertThat(follower.current().adapter().a()).containsExactly(upd.adapter().a());
                assertThat(follower.find(loaded.id())).as("the file opened under the id the version was trained from")
                        .hasValueSatisfying(v -> assertThat(v.model().fingerprint()).isEqualTo("sha-v2"));
            }
        }
    }

    /** Two marks, each within the step of the last, wedge every follower's adoption of the trainer's next version. */
    @Test
    void highWaterMarksCannotWalkTheVersionBoundUpInSteps() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.startIn(dir.resolve("kafka"))) {
            TopicAdmin.ensureTopics(config(kafka, "t"), Duration.ofSeconds(30));
            DrafterVersions trainer = new DrafterVersions(Adapter.zero(4, 8));
            DrafterVersions replica = new DrafterVersions(Adapter.zero(4, 8));
            Adapter w = AdapterTrainer.initial(4, 8, 3);
            try (FleetUpdates t = new FleetUpdates(config(kafka, "t"), DRAFTER, trainer, new SimpleMeterRegistry(),
                    FleetUpdates.Follow.activating(trainer).numbering());
                 FleetUpdates r = new FleetUpdates(config(kafka, "r"), DRAFTER, replica);
                 DrafterUpdateChannel evil = new DrafterUpdateChannel(config(kafka, "evil"), (k, u) -> { })) {
                assertThat(t.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
                for (long m : new long[] {FleetUpdates.MAX_VERSION_STEP, 2 * FleetUpdates.MAX_VERSION_STEP}) {
                    evil.publish(DRAFTER + VersionIds.KEY_SUFFIX, new DrafterUpdate(m, 0, 4, 8, w.a(), w.b(), "{}",
                            DrafterUpdate.Kind.UPDATE, "evil"));
                }
                await(() -> r.rejected().get(FleetUpdates.VERSION_OUT_OF_RANGE) >= 1
                        && t.rejected().get(FleetUpdates.VERSION_OUT_OF_RANGE) >= 1, "the second mark refused");
                DrafterVersion v = trainer.create(w, 1, Map.of());
                trainer.activate(v);
                t.publish(v);
                await(() -> replica.current().id() == v.id(), "the replica serves the trainer's next version");
                assertThat(v.id()).as("numbered above the first mark only").isEqualTo(FleetUpdates.MAX_VERSION_STEP + 1);
            }
        }
    }

    /**
     * Two numbering processes (two local replicas, each with an operator's change) number at once: the one id they
     * both gave is never served with the other's weights, and the collision is counted where it is seen.
     */
    @Test
    void aVersionIdNumberedTwiceIsCountedAsAConflictNotServedSilently() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.startIn(dir.resolve("kafka"))) {
            TopicAdmin.ensureTopics(config(kafka, "l1"), Duration.ofSeconds(30));
            DrafterVersions l1 = new DrafterVersions(Adapter.zero(4, 8));
            DrafterVersions l2 = new DrafterVersions(Adapter.zero(4, 8));
            DrafterVersions fol = new DrafterVersions(Adapter.zero(4, 8));
            try (FleetUpdates a = new FleetUpdates(config(kafka, "l1"), DRAFTER, l1, new SimpleMeterRegistry(),
                    FleetUpdates.Follow.activating(l1).numbering());
                 FleetUpdates b = new FleetUpdates(config(kafka, "l2"), DRAFTER, l2, new SimpleMeterRegistry(),
                    FleetUpdates.Follow.activating(l2).numbering());
                 FleetUpdates f = new FleetUpdates(config(kafka, "f"), DRAFTER, fol)) {
                DrafterVersion v1 = l1.create(AdapterTrainer.initial(4, 8, 3), 1, Map.of());
                DrafterVersion v2 = l2.create(AdapterTrainer.initial(4, 8, 4), 1, Map.of());
                l1.activate(v1);
                l2.activate(v2);
                a.publish(v1);
                b.publish(v2);
                assertThat(v1.id()).isEqualTo(v2.id());
                await(() -> a.rejected().get(FleetUpdates.ID_CONFLICT) >= 1 && b.rejected().get(FleetUpdates.ID_CONFLICT) >= 1
                        && f.rejected().get(FleetUpdates.ID_CONFLICT) >= 1, "the collision counted on every process");
                assertThat(l1.current().adapter().a()).containsExactly(v1.adapter().a());
                assertThat(l2.current().adapter().a()).containsExactly(v2.adapter().a());
            }
        }
    }
}
