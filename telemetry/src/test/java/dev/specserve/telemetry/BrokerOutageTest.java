package dev.specserve.telemetry;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Serving must not notice Kafka outages: publishing neither throws nor blocks while the broker is
 * absent, the buffer keeps the newest events, and delivery resumes when the broker comes back on the
 * same port with the same data directory. One broker (stopped and started by the tests) per class.
 */
class BrokerOutageTest {

    private static final Duration WAIT = Duration.ofSeconds(40);
    private static final AtomicInteger TOPIC_SEQ = new AtomicInteger();

    @TempDir
    static Path dataDir;
    static EmbeddedKafka kafka;

    @BeforeAll
    static void createBroker() {
        kafka = new EmbeddedKafka(dataDir); // started by the tests
    }

    @AfterAll
    static void stopBroker() {
        kafka.close();
    }

    private static TelemetryConfig config(int bufferCapacity) {
        int n = TOPIC_SEQ.incrementAndGet();
        return TelemetryConfig.builder(kafka.bootstrapServers())
                .feedbackTopic("outage" + n + ".feedback")
                .samplesTopic("outage" + n + ".samples")
                .updatesTopic("outage" + n + ".drafter-updates")
                .bufferCapacity(bufferCapacity)
                .replicaId("replica-outage")
                .closeTimeout(Duration.ofSeconds(10))
                .build();
    }

    @Test
    void publisherStartedWhileTheBrokerIsDownDeliversTheNewestBufferedEventsOnceTheBrokerStarts() throws Exception {
        kafka.stop();
        TelemetryConfig config = config(50);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        CollectingListener listener = new CollectingListener();
        try (FeedbackPublisher publisher = new FeedbackPublisher(config, registry)) {
            long[] latencies = publishRounds(publisher, 0, 200, 0);
            assertFastPublishing(latencies);
            assertThat(publisher.stats().eventsDropped()).isGreaterThanOrEqualTo(149);
            Await.until(WAIT, () -> registry.get(TelemetryMetrics.KAFKA_AVAILABLE).gauge().value() == 0.0,
                    () -> "kafka seen unavailable");

            kafka.start(); // topics do not exist yet: the publisher creates them in the background

            Await.until(WAIT, () -> publisher.stats().bufferedEvents() == 0 && publisher.stats().inFlightEvents() == 0,
                    () -> "buffer drained: " + publisher.stats());
            Await.until(WAIT, () -> registry.get(TelemetryMetrics.KAFKA_AVAILABLE).gauge().value() == 1.0,
                    () -> "kafka available again");
            PublisherStats s = publisher.stats();
            assertThat(s.eventsSent() + s.eventsDropped() + s.eventSendErrors()).isEqualTo(200);
            assertThat(s.eventsSent()).isBetween(1L, 51L);
            assertThat(registry.get(TelemetryMetrics.EVENTS_DROPPED).tag("type", "round").tag("reason", "buffer_full")
                    .counter().count()).isEqualTo((double) s.eventsDropped());

            try (FeedbackConsumer consumer = new FeedbackConsumer(config, "late-broker", listener, new SimpleMeterRegistry())
                    .start()) {
                Await.until(WAIT, () -> listener.eventCount() >= s.eventsSent(),
                        () -> "received " + listener.eventCount() + " of " + s.eventsSent());
            }
            List<Integer> rounds = rounds(listener.events());
            // drop-oldest: what survived is the newest 50 (the buffer), ending with the last one published, plus at
            // most the one event the sender had already taken when the broker turned out to be down (it can be
            // the very first: a run delivered round 0 and rounds 150-199)
            assertThat(rounds.stream().filter(r -> r < 200 - 50).toList()).as("older than the buffer").hasSizeLessThanOrEqualTo(1);
            assertThat(rounds).contains(199).isSorted().doesNotHaveDuplicates();
        }
    }

    @Test
    void brokerStoppedAndRestartedMidStreamCostsServingNothingAndFeedbackResumes() throws Exception {
        kafka.start();
        TelemetryConfig config = config(100);
        TopicAdmin.ensureTopics(config, WAIT);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        CollectingListener listener = new CollectingListener();
        int total;
        PublisherStats stats;
        try (FeedbackConsumer consumer = new FeedbackConsumer(config, "outage-it", listener, registry).start();
             FeedbackPublisher publisher = new FeedbackPublisher(config, registry)) {
            assertThat(consumer.awaitAssignment(WAIT)).isTrue();

            // phase A: broker up
            assertFastPublishing(publishRounds(publisher, 0, 30, 1));
            Await.until(WAIT, () -> listener.eventCount() >= 30, () -> "phase A received " + listener.eventCount());

            // phase B: broker down, serving keeps publishing (more than buffer + in-flight can hold)
            kafka.stop();
            long[] down = publishRounds(publisher, 30, 400, 2);
            assertFastPublishing(down);
            assertThat(publisher.stats().eventsDropped()).as("drop-oldest engaged").isPositive();
            assertThat(publisher.stats().bufferedEvents()).isLessThanOrEqualTo(100);

            // same port, same data dir
            String bootstrap = kafka.bootstrapServers();
            assertThat(kafka.start()).isEqualTo(bootstrap);

            // phase C: published after the restart; all of it must arrive
            assertFastPublishing(publishRounds(publisher, 400, 430, 1));
            Await.until(WAIT, () -> rounds(listener.events()).containsAll(range(400, 430)),
                    () -> "phase C received: " + rounds(listener.events()).stream().filter(r -> r >= 400).count() + "/30");
            Await.until(WAIT, () -> publisher.stats().bufferedEvents() == 0 && publisher.stats().inFlightEvents() == 0,
                    () -> "publisher idle: " + publisher.stats());
            stats = publisher.stats();
            total = 430;
            long sent = stats.eventsSent();
            Await.until(WAIT, () -> distinct(listener.events()).size() >= sent,
                    () -> "received " + distinct(listener.events()).size() + " of " + sent + " acknowledged");
        }

        assertThat(stats.eventsPublished()).isEqualTo(total);
        assertThat(stats.eventsSent() + stats.eventsDropped() + stats.eventSendErrors()).isEqualTo(total);
        Set<Integer> received = distinct(listener.events());
        assertThat(received).containsAll(range(0, 30)).containsAll(range(400, 430));
        assertThat(received).hasSize((int) stats.eventsSent());
        // per-drafter order holds across the outage (first deliveries; redeliveries are allowed)
        Map<String, List<Integer>> byDrafter = new TreeMap<>();
        for (FeedbackEvent e : listener.events()) {
            RoundEvent r = (RoundEvent) e;
            List<Integer> seq = byDrafter.computeIfAbsent(r.drafterId(), k -> new ArrayList<>());
            if (!seq.contains(r.round())) {
                seq.add(r.round());
            }
        }
        byDrafter.values().forEach(seq -> assertThat(seq).isSorted());

        // the restarted broker kept the log: a new group reads everything from the beginning
        CollectingListener replay = new CollectingListener();
        try (FeedbackConsumer fresh = new FeedbackConsumer(config, "replay-it", replay, new SimpleMeterRegistry()).start()) {
            Await.until(WAIT, () -> distinct(replay.events()).size() >= received.size(),
                    () -> "replayed " + distinct(replay.events()).size() + " of " + received.size());
        }
        assertThat(distinct(replay.events())).isEqualTo(received);
    }

    /** Publishes round events [from, to) alternating between two drafters; returns per-call latencies (ns). */
    private static long[] publishRounds(FeedbackPublisher publisher, int from, int to, long pauseMs) throws InterruptedException {
        long[] latencies = new long[to - from];
        for (int r = from; r < to; r++) {
            RoundEvent e = Fixtures.round("drafter-" + (r % 2), "req-" + (r / 20), r, r % 6);
            long t0 = System.nanoTime();
            publisher.publish(e);
            latencies[r - from] = System.nanoTime() - t0;
            if (pauseMs > 0) {
                Thread.sleep(pauseMs);
            }
        }
        return latencies;
    }

    private static void assertFastPublishing(long[] latenciesNs) {
        long[] sorted = latenciesNs.clone();
        Arrays.sort(sorted);
        long median = sorted[sorted.length / 2];
        long max = sorted[sorted.length - 1];
        // microseconds in practice; the bounds leave room for a shared 2-core machine, but are far below
        // the 500 ms a blocking Kafka send would cost
        assertThat(median).as("median publish latency (ns)").isLessThan(100_000);
        assertThat(max).as("max publish latency (ns)").isLessThan(100_000_000);
    }

    private static List<Integer> rounds(List<FeedbackEvent> events) {
        List<Integer> rounds = new ArrayList<>();
        for (FeedbackEvent e : events) {
            rounds.add(((RoundEvent) e).round());
        }
        return rounds;
    }

    private static Set<Integer> distinct(List<FeedbackEvent> events) {
        return new LinkedHashSet<>(rounds(events));
    }

    private static List<Integer> range(int from, int to) {
        List<Integer> r = new ArrayList<>();
        for (int i = from; i < to; i++) {
            r.add(i);
        }
        return r;
    }
}
