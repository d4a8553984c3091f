package dev.specserve.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An embedded broker's data directory belongs to one broker at a time. */
class EmbeddedKafkaTest {
    @TempDir
    Path dir;

    @Test
    void aSecondBrokerOnTheSameDirectoryIsRefusedBeforeItTouchesItAndTheFirstServesOn() throws Exception {
        Path data = dir.resolve("kafka");
        EmbeddedKafka second = new EmbeddedKafka(data);
        try (EmbeddedKafka first = EmbeddedKafka.startIn(data, false)) {
            Path quorum = first.logDir().resolve("__cluster_metadata-0").resolve("quorum-state"); // its leader epoch
            String before = Files.readString(quorum);

            assertThatThrownBy(second::start).isInstanceOf(IllegalStateException.class)
                    .hasMessage(data + " is in use by another specserve process (pid " + ProcessHandle.current().pid()
                            + "): an embedded broker's data directory belongs to one process; stop that one, or "
                            + "give this one its own SPECSERVE_DATA");
            assertThat(second.isRunning()).isFalse();
            assertThat(Files.readString(quorum)).as("a second broker starting there raised the leader epoch")
                    .isEqualTo(before);
            TelemetryConfig config = TelemetryConfig.builder(first.bootstrapServers()).replicaId("first").build();
            TopicAdmin.ensureTopics(config, Duration.ofSeconds(30));
            first.stop();
            assertThat(Files.readString(data.resolve(DataDirLock.FILE))).as("the holder's pid, for the next refusal")
                    .isEqualTo(Long.toString(ProcessHandle.current().pid()));

            assertThat(second.start()).as("free once the first has stopped").isEqualTo(second.bootstrapServers());
        } finally {
            second.close();
        }
    }
}
