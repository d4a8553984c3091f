package dev.specserve.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fleet's updates topic, followed by a replica that may start before the broker does. */
class DrafterUpdateChannelTest {
    @TempDir
    Path dir;

    @Test
    void aFollowerStartedBeforeTheBrokerWaitsForItAndThenReceivesTheUpdates() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        TelemetryConfig early = TelemetryConfig.builder("127.0.0.1:" + port).replicaId("early").build();
        List<DrafterUpdate> received = new CopyOnWriteArrayList<>();
        try (DrafterUpdateChannel follower = new DrafterUpdateChannel(early, (id, u) -> received.add(u))) {
            Thread.sleep(6_000); // past the first metadata timeout: the follower has failed once by now
            EmbeddedKafka kafka = new EmbeddedKafka(dir.resolve("kafka"), port, 0, Map.of());
            try {
                kafka.start();
                TelemetryConfig trainer = TelemetryConfig.builder(kafka.bootstrapServers()).replicaId("trainer").build();
                TopicAdmin.ensureTopics(trainer, Duration.ofSeconds(30));
                try (DrafterUpdateChannel publisher = new DrafterUpdateChannel(trainer, (id, u) -> {})) {
                    publisher.publish("demo/drafter", new DrafterUpdate(2, 1, 1, 2, new float[] {1, 2},
                            new float[] {3, 4}, "{}"));
                }

                Await.until(Duration.ofSeconds(60), () -> !received.isEmpty(), () -> "the early follower receives the update");
                assertThat(received.get(0).version()).isEqualTo(2);
                assertThat(follower.caughtUp()).isTrue();
            } finally {
                kafka.stop();
            }
        }
    }

    @Test
    void anIdleFollowerNoticesItsBrokerGoneAndBack() throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.startIn(dir.resolve("kafka"), false);
        try {
            TelemetryConfig replica = TelemetryConfig.builder(kafka.bootstrapServers()).replicaId("replica").build();
            TopicAdmin.ensureTopics(replica, Duration.ofSeconds(30));
            try (DrafterUpdateChannel follower = new DrafterUpdateChannel(replica, (id, u) -> {}, Duration.ofSeconds(1))) {
                Await.until(Duration.ofSeconds(60), follower::reading, () -> "caught up and reading");

                kafka.stop(); // nothing is published or sent: only the read check can tell

                Await.until(Duration.ofSeconds(60), () -> !follower.reading(), () -> "the broker's loss noticed");
                assertThat(follower.caughtUp()).as("what was read at start-up stays read").isTrue();
                kafka.start();
                Await.until(Duration.ofSeconds(60), follower::reading, () -> "reading again");
            }
        } finally {
            kafka.stop();
        }
    }

    @Test
    void aDamagedRecordIsSkippedAndCountedAndTheRecordsAfterItAreStillFollowed() throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.startIn(dir.resolve("kafka"), false);
        try {
            TelemetryConfig trainer = TelemetryConfig.builder(kafka.bootstrapServers()).replicaId("trainer").build();
            TopicAdmin.ensureTopics(trainer, Duration.ofSeconds(30));
            List<DrafterUpdate> updates = List.of(update(2, 10f), update(3, 20f), update(4, 30f));
            try (DrafterUpdateChannel publisher = new DrafterUpdateChannel(trainer, (id, u) -> {})) {
                updates.forEach(u -> publisher.publish("demo/drafter", u));
            }
            kafka.stop();
            garble(kafka.logDir().resolve(trainer.updatesTopic() + "-0"), updates.get(1).encode());
            kafka.start();

            List<DrafterUpdate> received = new CopyOnWriteArrayList<>();
            TelemetryConfig replica = TelemetryConfig.builder(kafka.bootstrapServers()).replicaId("replica").build();
            try (DrafterUpdateChannel follower = new DrafterUpdateChannel(replica, (id, u) -> received.add(u))) {
                Await.until(Duration.ofSeconds(60), () -> received.size() >= 2, () -> "received " + received.size());

                assertThat(received).extracting(DrafterUpdate::version).containsExactly(2L, 4L);
                assertThat(follower.malformed()).isEqualTo(1);
                assertThat(follower.caughtUp()).isTrue();
            }
        } finally {
            kafka.stop();
        }
    }

    /**
     * A record that decodes but cannot be applied (new code tripping on an old compacted record, replayed at every
     * start) is counted, not only logged, and the records after it are still applied.
     */
    @Test
    void aRecordWhoseHandlerThrowsIsCountedAndTheRecordsAfterItAreStillApplied() throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.startIn(dir.resolve("kafka"), false);
        try {
            TelemetryConfig trainer = TelemetryConfig.builder(kafka.bootstrapServers()).replicaId("trainer").build();
            TopicAdmin.ensureTopics(trainer, Duration.ofSeconds(30));
            try (DrafterUpdateChannel publisher = new DrafterUpdateChannel(trainer, (id, u) -> {})) {
                List.of(update(2, 10f), update(3, 20f), update(4, 30f)).forEach(u -> publisher.publish("demo/drafter", u));
            }
            List<Long> applied = new CopyOnWriteArrayList<>();
            TelemetryConfig replica = TelemetryConfig.builder(kafka.bootstrapServers()).replicaId("replica").build();
            try (DrafterUpdateChannel follower = new DrafterUpdateChannel(replica, (id, u) -> {
                if (u.version() == 3) {
                    throw new IllegalStateException("this release cannot apply version 3");
                }
                applied.add(u.version());
            })) {
                Await.until(Duration.ofSeconds(60), () -> applied.size() == 2, () -> "versions 2 and 4 applied");
                assertThat(applied).containsExactly(2L, 4L);
                assertThat(follower.unapplied()).isEqualTo(1);
                assertThat(follower.malformed()).isZero();
            }
        } finally {
            kafka.stop();
        }
    }

    private static DrafterUpdate update(long version, float weight) {
        return new DrafterUpdate(version, version - 1, 1, 2, new float[] {weight, weight}, new float[] {weight, weight}, "{}");
    }

    /** Flips a byte inside {@code record}'s bytes in the partition's log segment, as a damaged disk would. */
    private static void garble(Path partition, byte[] record) throws java.io.IOException {
        try (var files = java.nio.file.Files.list(partition)) {
            Path segment = files.filter(f -> f.toString().endsWith(".log")).findFirst().orElseThrow();
            byte[] log = java.nio.file.Files.readAllBytes(segment);
            int at = indexOf(log, record);
            assertThat(at).as("the record's bytes in %s", segment).isNotNegative();
            log[at + record.length / 2] ^= 0x5a;
            java.nio.file.Files.write(segment, log);
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
