package dev.specserve.controller.adapt;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.controller.TestModels;
import dev.specserve.drafters.DrafterVersion;
import dev.specserve.drafters.ModelStack;
import dev.specserve.drafters.update.AdapterTrainer;
import dev.specserve.runtime.manifest.DrafterPrecision;
import dev.specserve.runtime.manifest.ManifestLoader;
import dev.specserve.runtime.ort.ExecutionDevice;
import dev.specserve.telemetry.EmbeddedKafka;
import dev.specserve.telemetry.TelemetryConfig;
import dev.specserve.telemetry.TopicAdmin;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replica serving the bundled drafter's int8 file and a trainer serving its full-precision file share adapter
 * versions, and a load of the full-precision file on the int8 replica is a real load there: the trainer numbers a
 * new version of it, and the replica opens the file.
 */
class DrafterPrecisionFleetTest {
    @TempDir
    Path dir;

    @Test
    void anInt8ReplicaAdoptsAnFp32TrainersAdapterAndItsLoadOfTheFp32FileOpensIt() throws Exception {
        List<Path> roots = List.of(TestModels.dir());
        try (EmbeddedKafka kafka = EmbeddedKafka.startIn(dir.resolve("kafka"));
             ModelStack trainerModels = ModelStack.load(TestModels.dir(), ExecutionDevice.CPU, 2, DrafterPrecision.FP32);
             ModelStack replicaModels = ModelStack.load(TestModels.dir(), ExecutionDevice.CPU, 2, DrafterPrecision.INT8)) {
            TelemetryConfig t = TelemetryConfig.builder(kafka.bootstrapServers()).replicaId("trainer").build();
            TelemetryConfig r = TelemetryConfig.builder(kafka.bootstrapServers()).replicaId("replica").build();
            TopicAdmin.ensureTopics(t, Duration.ofSeconds(30));
            var trainerVersions = trainerModels.versions();
            var replicaVersions = replicaModels.versions();
            Path fp32 = trainerModels.manifest().drafter().file();
            String fp32Sha = ManifestLoader.sha256(fp32);
            assertThat(replicaVersions.current().model().fingerprint()).as("the int8 file serves there")
                    .isNotEqualTo(fp32Sha);
            try (FleetUpdates trainer = new FleetUpdates(t, FleetUpdatesTest.DRAFTER, trainerVersions,
                    new SimpleMeterRegistry(), new FleetUpdates.Follow(trainerVersions::activate,
                            ModelRootFiles.within(roots, trainerModels::loadDrafter)).numbering());
                 FleetUpdates replica = new FleetUpdates(r, FleetUpdatesTest.DRAFTER, replicaVersions,
                         new SimpleMeterRegistry(), new FleetUpdates.Follow(replicaVersions::activate,
                                 ModelRootFiles.within(roots, replicaModels::loadDrafter)))) {
                var a = trainerVersions.current().adapter();
                DrafterVersion v2 = trainerVersions.create(AdapterTrainer.initial(a.rank(), a.dim(), 3), 1, Map.of());
                trainerVersions.activate(v2);
                trainer.publish(v2);
                FleetUpdatesTest.await(() -> replicaVersions.current().id() == v2.id(),
                        "the int8 replica adopts the fp32 trainer's adapter (one adapter base)");
                assertThat(replicaVersions.current().model().generation()).as("on its own int8 session").isEqualTo(1);

                DrafterVersion loaded = replica.requestLoad(fp32, fp32Sha, Duration.ofSeconds(60));

                assertThat(loaded.model().fingerprint()).isEqualTo(fp32Sha);
                assertThat(loaded.model().generation()).as("the fp32 file was opened on the replica").isEqualTo(2);
                assertThat(loaded.id()).as("a new version, numbered by the trainer").isGreaterThan(v2.id())
                        .isEqualTo(trainerVersions.current().id());
                assertThat(trainerVersions.current().model().fingerprint()).isEqualTo(fp32Sha);
                assertThat(replica.rejected().values()).allMatch(n -> n == 0);
                assertThat(trainer.rejected().values()).allMatch(n -> n == 0);
            }
        }
    }
}
