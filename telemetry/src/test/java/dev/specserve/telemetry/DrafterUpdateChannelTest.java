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
}
