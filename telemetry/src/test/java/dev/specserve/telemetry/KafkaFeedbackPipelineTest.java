package dev.specserve.telemetry;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** The feedback pipeline against a real in-process KRaft broker, shared by the tests of this class. */
class KafkaFeedbackPipelineTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final AtomicInteger TOPIC_SEQ = new AtomicInteger();

    @TempDir
    static Path dataDir;
    static EmbeddedKafka kafka;

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedKafka.startIn(dataDir);
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    /** A config on topics no other test uses. */
    private static TelemetryConfig config(int partitions) {
        int n = TOPIC_SEQ.incrementAndGet();
        return TelemetryConfig.builder(kafka.bootstrapServers())
                .feedbackTopic("it" + n + ".feedback")
                .samplesTopic("it" + n + ".samples")
                .updatesTopic("it" + n + ".drafter-updates")
                .partitions(partitions)
                .replicaId("replica-a")
                .closeTimeout(Duration.ofSeconds(10))
                .build();
    }

    @Test
    void topicAdminCreatesNormalFeedbackAndSampleTopicsAndACompactedUpdatesTopicOnlyOnce() {
        TelemetryConfig config = config(3);
        try (TopicAdmin admin = new TopicAdmin(config)) {
            Set<String> created = admin.ensureTopics(Duration.ofSeconds(20));

            assertThat(created).containsExactlyInAnyOrder(config.feedbackTopic(), config.samplesTopic(), config.updatesTopic());
            assertThat(admin.partitions(config.feedbackTopic(), WAIT)).isEqualTo(3);
            assertThat(admin.partitions(config.samplesTopic(), WAIT)).isEqualTo(3);
            assertThat(admin.topicConfig(config.updatesTopic(), TopicConfig.CLEANUP_POLICY_CONFIG, WAIT)).isEqualTo("compact");
            assertThat(admin.topicConfig(config.feedbackTopic(), TopicConfig.CLEANUP_POLICY_CONFIG, WAIT)).isEqualTo("delete");
            // bounded by time and bytes, where Kafka's default keeps 7 days uncapped (one event per round adds up)
            assertThat(admin.topicConfig(config.feedbackTopic(), TopicConfig.RETENTION_MS_CONFIG, WAIT))
                    .isEqualTo(Long.toString(3L * 24 * 3600 * 1000));
            assertThat(admin.topicConfig(config.feedbackTopic(), TopicConfig.RETENTION_BYTES_CONFIG, WAIT))
                    .isEqualTo(Long.toString(2L << 30));
            assertThat(admin.topicConfig(config.samplesTopic(), TopicConfig.RETENTION_MS_CONFIG, WAIT))
                    .isEqualTo(Long.toString(3600 * 1000));
            assertThat(admin.topicConfig(config.samplesTopic(), TopicConfig.RETENTION_BYTES_CONFIG, WAIT))
                    .isEqualTo(Long.toString(1L << 30));
            assertThat(admin.topicConfig(config.updatesTopic(), TopicConfig.SEGMENT_MS_CONFIG, WAIT))
                    .isEqualTo(Long.toString(3600 * 1000));
            assertThat(admin.topicConfig(config.samplesTopic(), TopicConfig.SEGMENT_MS_CONFIG, WAIT))
                    .as("segments roll within the retention: Kafka deletes whole ones").isEqualTo(Long.toString(900 * 1000));
            assertThat(admin.ensureTopics(Duration.ofSeconds(20))).isEmpty();
        }
    }

    @Test
    void eventsOfEveryTypeArriveIntactKeyedByDrafterAndInPerDrafterOrder() throws Exception {
        TelemetryConfig config = config(2);
        TopicAdmin.ensureTopics(config, WAIT);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        CollectingListener listener = new CollectingListener();
        List<FeedbackEvent> published = new ArrayList<>();
        try (FeedbackConsumer consumer = new FeedbackConsumer(config, "adaptation-it", listener, registry).start();
             FeedbackPublisher publisher = new FeedbackPublisher(config, registry)) {
            for (int r = 0; r < 40; r++) {
                RoundEvent e = Fixtures.round("drafter-" + (r % 3), "req-" + (r / 10), r, r % 6);
                published.add(e);
                publisher.publish(e);
            }
            RequestSummaryEvent summary = Fixtures.summary("drafter-1", "req-0");
            DecisionEvent decision = Fixtures.decision("drafter-2", "dec-1");
            DecisionEvent realised = decision.withRealised(Map.of("gain", 0.031, "accepted_length_delta", 0.2));
            publisher.publish(summary);
            publisher.publish(decision);
            publisher.publish(realised);
            published.addAll(List.of(summary, decision, realised));

            Await.until(WAIT, () -> listener.eventCount() >= published.size(),
                    () -> "consumer received " + listener.eventCount() + "/" + published.size());

            assertThat(listener.events()).containsExactlyInAnyOrderElementsOf(published);
            Map<String, List<Integer>> roundsByDrafter = new HashMap<>();
            for (FeedbackEvent e : listener.events()) {
                if (e instanceof RoundEvent r) {
                    roundsByDrafter.computeIfAbsent(r.drafterId(), k -> new ArrayList<>()).add(r.round());
                }
            }
            roundsByDrafter.values().forEach(rounds -> assertThat(rounds).isSorted());
            assertThat(publisher.stats().eventsSent()).isEqualTo(published.size());
            assertThat(registry.get(TelemetryMetrics.EVENTS_SENT).tag("type", "round").counter().count()).isEqualTo(40.0);
            assertThat(registry.get(TelemetryMetrics.BYTES).tag("stream", "feedback").counter().count())
                    .isEqualTo((double) publisher.stats().feedbackBytesSent()).isGreaterThan(0.0);
            assertThat(consumer.malformedTotal()).isZero();
        }

        // what operators see on the wire: key = drafter id, value = versioned JSON
        List<ConsumerRecord<String, byte[]>> raw = readAll(config.feedbackTopic(), published.size());
        for (ConsumerRecord<String, byte[]> record : raw) {
            FeedbackEvent e = FeedbackJson.decode(record.value());
            assertThat(record.key()).isEqualTo(e.partitionKey());
            assertThat(new String(record.value(), StandardCharsets.UTF_8)).startsWith("{\"schema_version\":2,\"type\":\"");
        }
    }

    @Test
    void theKafkaClientsOwnMetricsAreMetersForAsLongAsTheClientsLive() {
        TelemetryConfig config = config(1);
        TopicAdmin.ensureTopics(config, WAIT);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        CollectingListener listener = new CollectingListener();
        try (FeedbackConsumer consumer = new FeedbackConsumer(config, "client-metrics-it", listener, registry).start();
             FeedbackPublisher publisher = new FeedbackPublisher(config, registry)) {
            for (int r = 0; r < 5; r++) {
                publisher.publish(Fixtures.round("drafter-m", "req-m", r, 2));
            }
            Await.until(WAIT, () -> listener.eventCount() >= 5, () -> "consumer received " + listener.eventCount() + "/5");
            Await.until(WAIT, () -> publisher.stats().eventsSent() == 5, () -> "sent " + publisher.stats().eventsSent());

            assertThat(registry.get("kafka.producer.record.send.total").functionCounter().count()).isEqualTo(5.0);
            assertThat(registry.get("kafka.producer.request.latency.avg").gauge().value()).isGreaterThan(0.0);
            assertThat(registry.get("kafka.consumer.fetch.manager.records.consumed.total").functionCounter().count())
                    .isGreaterThanOrEqualTo(5.0);
        }
        assertThat(registry.find("kafka.producer.record.send.total").meters()).isEmpty();
        assertThat(registry.find("kafka.consumer.fetch.manager.records.consumed.total").meters()).isEmpty();
    }

    @Test
    void trainingSamplesArriveWithTheirArraysIntactInFp32AndWithinHalfPrecisionInFp16() {
        TelemetryConfig fp32 = config(1).toBuilder().sampleDtype(Dtype.FP32).build();
        TelemetryConfig fp16 = fp32.toBuilder().sampleDtype(Dtype.FP16).build();
        TopicAdmin.ensureTopics(fp32, WAIT);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        CollectingListener listener = new CollectingListener();
        List<TrainingSample> sent32 = new ArrayList<>();
        List<TrainingSample> sent16 = new ArrayList<>();
        try (FeedbackConsumer consumer = FeedbackConsumer.builder(fp32, registry).groupId("samples-it")
                .feedback(false).listener(listener).build().start();
             FeedbackPublisher p32 = new FeedbackPublisher(fp32, new SimpleMeterRegistry());
             FeedbackPublisher p16 = new FeedbackPublisher(fp16, new SimpleMeterRegistry())) {
            for (int r = 0; r < 10; r++) {
                TrainingSample a = Fixtures.sample("drafter-32", "req-32", r, 3 + r, 96, r);
                TrainingSample b = Fixtures.sample("drafter-16", "req-16", r, 3 + r, 96, 100 + r);
                assertThat(p32.publishSample(a)).isTrue();
                assertThat(p16.publishSample(b)).isTrue();
                sent32.add(a);
                sent16.add(b);
            }
            Await.until(WAIT, () -> listener.sampleCount() >= 20, () -> "samples received " + listener.sampleCount());
            assertThat(p16.stats().sampleBytesSent()).isLessThan(p32.stats().sampleBytesSent());
            assertThat(consumer.samplesDelivered()).isEqualTo(20);
        }

        List<TrainingSample> got = listener.samples();
        assertThat(got.stream().filter(s -> s.drafterId().equals("drafter-32")).toList())
                .containsExactlyElementsOf(sent32);
        List<TrainingSample> got16 = got.stream().filter(s -> s.drafterId().equals("drafter-16")).toList();
        assertThat(got16).hasSize(10);
        for (int i = 0; i < 10; i++) {
            TrainingSample expected = sent16.get(i);
            TrainingSample actual = got16.get(i);
            assertThat(actual.round()).isEqualTo(expected.round());
            assertThat(actual.requestId()).isEqualTo(expected.requestId());
            assertThat(actual.drafterVersion()).isEqualTo(expected.drafterVersion());
            assertThat(actual.hiddenDim()).isEqualTo(expected.hiddenDim());
            assertThat(actual.targetTokens()).isEqualTo(expected.targetTokens());
            assertThat(actual.validPrefix()).isEqualTo(expected.validPrefix());
            assertThat(actual.depths()).isEqualTo(expected.depths());
            SampleCodecTest.assertFp16Close(actual.hidden(), expected.hidden());
        }
    }

    @Test
    void malformedRecordsAreSkippedAndCountedByKindWhileValidRecordsStillArrive() throws Exception {
        TelemetryConfig config = config(1);
        TopicAdmin.ensureTopics(config, WAIT);
        RoundEvent before = Fixtures.round("d", "req-1", 0, 1);
        RoundEvent after = Fixtures.round("d", "req-1", 1, 2);
        String v1 = FeedbackJson.toJson(before);
        byte[] goodSample = SampleCodec.encode(Fixtures.sample("d", "req-1", 0, 4, 8, 1), Dtype.FP16);
        byte[] badVersionSample = goodSample.clone();
        badVersionSample[4] = 9;
        try (KafkaProducer<String, byte[]> raw = rawProducer()) {
            raw.send(new ProducerRecord<>(config.feedbackTopic(), "d", FeedbackJson.toBytes(before)));
            raw.send(new ProducerRecord<>(config.feedbackTopic(), "d", "definitely not json".getBytes(StandardCharsets.UTF_8)));
            raw.send(new ProducerRecord<>(config.feedbackTopic(), "d", bytes(v1.replace("\"schema_version\":2", "\"schema_version\":3"))));
            raw.send(new ProducerRecord<>(config.feedbackTopic(), "d", bytes(v1.replace("\"schema_version\":2", "\"schema_version\":99"))));
            raw.send(new ProducerRecord<>(config.feedbackTopic(), "d", bytes(v1.replace("\"type\":\"round\"", "\"type\":\"mystery\""))));
            raw.send(new ProducerRecord<>(config.feedbackTopic(), "d", bytes(v1.replace("\"drafter_id\":\"d\",", ""))));
            raw.send(new ProducerRecord<>(config.feedbackTopic(), "d", new byte[0]));
            raw.send(new ProducerRecord<>(config.samplesTopic(), "d", Arrays.copyOf(goodSample, goodSample.length / 2)));
            raw.send(new ProducerRecord<>(config.samplesTopic(), "d", bytes("{\"not\":\"a sample\"}")));
            raw.send(new ProducerRecord<>(config.samplesTopic(), "d", badVersionSample));
            raw.send(new ProducerRecord<>(config.samplesTopic(), "d", goodSample));
            raw.send(new ProducerRecord<>(config.feedbackTopic(), "d", FeedbackJson.toBytes(after)));
            raw.flush();
        }
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        CollectingListener listener = new CollectingListener();
        try (FeedbackConsumer consumer = new FeedbackConsumer(config, "malformed-it", listener, registry).start()) {
            Await.until(WAIT, () -> consumer.eventsDelivered() + consumer.samplesDelivered() + consumer.malformedTotal() >= 12,
                    () -> "records seen: " + consumer.malformedCounts() + ", delivered " + listener.eventCount());

            assertThat(listener.events()).containsExactly(before, after);
            assertThat(listener.samples()).hasSize(1);
            assertThat(consumer.malformedCounts()).containsEntry(MalformedRecordException.Kind.NOT_JSON, 1L)
                    .containsEntry(MalformedRecordException.Kind.UNSUPPORTED_VERSION, 2L)
                    .containsEntry(MalformedRecordException.Kind.UNKNOWN_TYPE, 1L)
                    .containsEntry(MalformedRecordException.Kind.INVALID_EVENT, 1L)
                    .containsEntry(MalformedRecordException.Kind.EMPTY, 1L)
                    .containsEntry(MalformedRecordException.Kind.SAMPLE_TRUNCATED, 1L)
                    .containsEntry(MalformedRecordException.Kind.SAMPLE_BAD_MAGIC, 1L)
                    .containsEntry(MalformedRecordException.Kind.SAMPLE_UNSUPPORTED_VERSION, 1L)
                    .containsEntry(MalformedRecordException.Kind.SAMPLE_INVALID, 0L);
            assertThat(registry.get(TelemetryMetrics.CONSUMER_MALFORMED).tag("kind", "unsupported_version").counter().count())
                    .isEqualTo(2.0);
            assertThat(registry.get(TelemetryMetrics.CONSUMER_MALFORMED).tag("kind", "sample_truncated").counter().count())
                    .isEqualTo(1.0);
        }
    }

    @Test
    void consumerLagCountsUnreadRecordsAndDrainsToZero() throws Exception {
        TelemetryConfig base = config(2);
        TopicAdmin.ensureTopics(base, WAIT);
        try (FeedbackPublisher publisher = new FeedbackPublisher(base, new SimpleMeterRegistry())) {
            for (int r = 0; r < 60; r++) {
                publisher.publish(Fixtures.round("drafter-" + (r % 2), "req", r, 1));
            }
            Await.until(WAIT, () -> publisher.stats().eventsSent() == 60, () -> "sent " + publisher.stats());
        }
        TelemetryConfig slowReader = base.toBuilder().clientProperties(Map.of("consumer.max.poll.records", "1")).build();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        List<Long> observedLag = new CopyOnWriteArrayList<>();
        AtomicInteger seen = new AtomicInteger();
        FeedbackListener slow = new FeedbackListener() {
            @Override
            public void onRound(RoundEvent event) {
                seen.incrementAndGet();
                try {
                    Thread.sleep(15);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        try (FeedbackConsumer consumer = FeedbackConsumer.builder(slowReader, registry).groupId("lag-it")
                .listener(slow).build().start()) {
            Await.until(WAIT, () -> {
                observedLag.add(consumer.lag());
                return seen.get() == 60 && consumer.lag() == 0;
            }, () -> "seen " + seen.get() + ", lag " + consumer.lag());

            long maxLag = observedLag.stream().mapToLong(Long::longValue).max().orElse(0);
            assertThat(maxLag).isBetween(10L, 60L);
            assertThat(registry.get(TelemetryMetrics.CONSUMER_LAG).tag("group", "lag-it").gauge().value()).isZero();
        }
    }

    private static KafkaProducer<String, byte[]> rawProducer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1"); // see FeedbackPublisher: KAFKA-14359
        return new KafkaProducer<>(p);
    }

    private static List<ConsumerRecord<String, byte[]>> readAll(String topic, int expected) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "raw-reader-" + topic);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p)) {
            c.subscribe(List.of(topic));
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (out.size() < expected && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        assertThat(out).hasSize(expected);
        assertThat(out.stream().map(ConsumerRecord::key).collect(Collectors.toSet())).isNotEmpty();
        return out;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
