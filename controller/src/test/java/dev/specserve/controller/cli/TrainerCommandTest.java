package dev.specserve.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.controller.config.ConfigKey;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class TrainerCommandTest {
    @Test
    void trainer_help_documents_its_settings_and_how_replicas_follow_it() {
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(out));

        int code = cli.execute("trainer", "--help");

        assertThat(code).isZero();
        String help = out.toString();
        assertThat(help).contains("--adaptation follow", "--replica-id", "--progress-s", "--models");
        for (ConfigKey k : TrainerCommand.KEYS) {
            assertThat(help).contains(k.flag(), k.env());
        }
    }

    @Test
    void without_an_external_kafka_the_trainer_stops_before_loading_models_naming_the_setting() {
        assertThat(trainerErrors("--models", "/does/not/exist")).contains("kafka_bootstrap", "--kafka-bootstrap");
        assertThat(trainerErrors("--kafka-bootstrap", "embedded", "--models", "/does/not/exist"))
                .contains("'embedded'");
    }

    @Test
    void a_bad_training_thread_count_is_refused_naming_the_setting() {
        assertThat(trainerErrors("--kafka-bootstrap", "kafka:9092", "--adaptation-training-threads", "0",
                "--models", "/does/not/exist")).contains("'adaptation_training_threads'", "an integer >= 1");
    }

    @Test
    void the_drafter_precision_flag_is_read_as_serve_reads_it() {
        assertThat(trainerErrors("--kafka-bootstrap", "kafka:9092", "--drafter-precision", "bf16",
                "--models", "/does/not/exist")).contains("'drafter_precision'", "bf16");
    }

    @Test
    void with_no_broker_at_the_address_the_trainer_stops_after_its_wait_naming_the_address() throws Exception {
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closed = s.getLocalPort(); // nothing listens there once closed
        }
        long t0 = System.nanoTime();
        String err = trainerErrors("--kafka-bootstrap", "127.0.0.1:" + closed, "--kafka-wait-s", "2",
                "--models", "/does/not/exist");
        assertThat(err).contains("no Kafka broker answered at 127.0.0.1:" + closed + " within 2 s",
                "--kafka-bootstrap");
        assertThat((System.nanoTime() - t0) / 1e9).isLessThan(20); // not the minute the updates topic waits
    }

    static String trainerErrors(String... args) {
        return CliErrors.of("trainer", args);
    }
}
