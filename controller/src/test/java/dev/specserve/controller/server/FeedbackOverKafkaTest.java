package dev.specserve.controller.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.specserve.controller.feedback.FeedbackWiring;
import dev.specserve.controller.feedback.KafkaFeedbackSink;
import dev.specserve.telemetry.EmbeddedKafka;
import dev.specserve.telemetry.SampleCodec;
import dev.specserve.telemetry.TrainingSample;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Serving puts feedback on Kafka for stock consumers, and a broker outage never touches generation. */
class FeedbackOverKafkaTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String DRAFTER_ID = "demo/drafter.onnx";

    @TempDir
    static Path dir;

    static EmbeddedKafka kafka;
    static TestServer server;
    static FeedbackWiring wiring;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.startIn(dir.resolve("kafka"));
        // every round drafted by the model, so a round yields a training sample even when a loaded machine would
        // make specblock's planner serve lookup trees or plain steps
        server = TestServer.start(Map.of("strategy", "specblock-fixed"));
        wiring = FeedbackWiring.start(kafka.bootstrapServers(), Map.of("SPECSERVE_REPLICA_ID", "replica-a"),
                server.server.registry());
        server.engine.addListener(new KafkaFeedbackSink(wiring.publisher(), wiring.replicaId(), DRAFTER_ID));
    }

    @AfterAll
    static void stop() {
        server.close();
        wiring.close();
        kafka.close();
    }

    static JsonNode complete(String prompt) throws Exception {
        return complete(Map.of("prompt", prompt, "max_tokens", 24, "temperature", 0, "domain", "python"));
    }

    static JsonNode complete(Map<String, Object> request) throws Exception {
        String body = JSON.writeValueAsString(request);
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + server.server.httpPort() + "/v1/completions")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    static <V> List<ConsumerRecord<String, V>> readAll(String topic, Class<?> valueDeserializer, int atLeast,
                                                       java.util.function.Predicate<ConsumerRecord<String, V>> match) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, valueDeserializer.getName());
        List<ConsumerRecord<String, V>> out = new ArrayList<>();
        try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(p)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (out.size() < atLeast && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, V> r : consumer.poll(Duration.ofMillis(200))) {
                    if (match.test(r)) {
                        out.add(r);
                    }
                }
            }
        }
        return out;
    }

    @Test
    void servingRequestsPutsSchemaValidRoundEventsAndTrainingSamplesOnKafka() throws Exception {
        JsonNode done = complete("def parse_args(argv):\n    parser = ");
        String id = done.get("id").asText();
        int rounds = done.get("specserve").get("rounds").asInt();

        List<ConsumerRecord<String, String>> events = readAll("specserve.feedback", StringDeserializer.class,
                rounds + 1, r -> r.value().contains(id));

        assertThat(events).hasSizeGreaterThanOrEqualTo(rounds + 1);
        long accepted = 0;
        double meanAccepted = -1;
        for (ConsumerRecord<String, String> r : events) {
            JsonNode e = JSON.readTree(r.value());
            assertThat(r.key()).as("records are keyed by drafter id").isEqualTo(DRAFTER_ID);
            assertThat(r.timestamp()).as("records carry event time").isEqualTo(e.get("timestamp_ms").asLong());
            assertThat(e.get("schema_version").asInt()).isEqualTo(2);
            assertThat(e.get("replica_id").asText()).isEqualTo("replica-a");
            if (e.get("type").asText().equals("round")) {
                assertThat(e.get("strategy").asText()).isEqualTo("specblock-fixed");
                assertThat(e.get("domain").asText()).isEqualTo("python");
                assertThat(e.get("accepted_per_depth").size()).isEqualTo(e.get("tree_depth").asInt());
                assertThat(e.has("draft_nanos") && e.has("verify_nanos") && e.has("drafter_version")).isTrue();
                accepted += e.get("accepted_length").asLong();
            } else {
                assertThat(e.get("type").asText()).isEqualTo("request");
                assertThat(e.get("generated_tokens").asInt()).isEqualTo(24);
                meanAccepted = e.get("mean_accepted_length").asDouble();
            }
        }
        assertThat(meanAccepted).as("the request's mean is its rounds' accepted draft tokens, bonus excluded")
                .isCloseTo((double) accepted / rounds, org.assertj.core.data.Offset.offset(1e-9));
        List<ConsumerRecord<String, byte[]>> samples = readAll("specserve.samples", ByteArrayDeserializer.class, 1,
                r -> true);
        TrainingSample s = SampleCodec.decode(samples.get(0).value());
        assertThat(s.hiddenDim()).isEqualTo(server.stack.manifest().drafter().dim());
        assertThat(java.util.Arrays.stream(s.targetTokens()).max().orElseThrow())
                .isLessThan(server.stack.manifest().target().vocab());
    }

    @Test
    void everyVerifiedNodeOfARoundIsAccountedToTheSourcesThatDraftedIt() throws Exception {
        String prompt = "def parse_args(argv):\n    parser = argparse.ArgumentParser()\n    parser.add_argument(";
        JsonNode done = complete(Map.of("prompt", prompt + prompt + prompt, "max_tokens", 48, "temperature", 0,
                "strategy", "auto", "guided_regex", "parser\\.add_argument\\('--[a-z]{1,12}', help='[a-z ]{1,20}'\\)"));
        String id = done.get("id").asText();
        int rounds = done.get("specserve").get("rounds").asInt();

        List<ConsumerRecord<String, String>> events = readAll("specserve.feedback", StringDeserializer.class,
                rounds, r -> r.value().contains(id) && r.value().contains("\"type\":\"round\""));

        assertThat(events).hasSize(rounds);
        int drafted = 0;
        for (ConsumerRecord<String, String> r : events) {
            JsonNode e = JSON.readTree(r.value());
            int bySource = 0;
            for (JsonNode tally : e.get("sources")) {
                bySource += tally.get("drafted").asInt();
            }
            assertThat(bySource).as("a node counts for each source that drafted it: %s", r.value())
                    .isGreaterThanOrEqualTo(e.get("tree_size").asInt());
            drafted += e.get("tree_size").asInt();
        }
        assertThat(drafted).as("auto drafted the text the expression forces, at least").isPositive();
    }

    @Test
    void aBrokerOutageLeavesGenerationUntouchedAndFeedbackResumesWhenItReturns() throws Exception {
        String prompt = "class Stack:\n    def __init__(self):\n        self.";
        String before = complete(prompt).get("choices").get(0).get("text").asText();

        kafka.stop();
        String during = complete(prompt).get("choices").get(0).get("text").asText();
        kafka.restart();
        JsonNode after = complete(prompt);

        assertThat(during).isEqualTo(before);
        assertThat(after.get("choices").get(0).get("text").asText()).isEqualTo(before);
        String id = after.get("id").asText();
        assertThat(FeedbackOverKafkaTest.<String>readAll("specserve.feedback", StringDeserializer.class, 1,
                r -> r.value().contains(id)))
                .as("feedback of a request served after the restart").isNotEmpty();
    }
}
