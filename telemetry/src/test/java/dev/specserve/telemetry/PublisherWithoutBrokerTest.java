package dev.specserve.telemetry;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The publisher's guarantees towards the serving path, with no broker listening at all. */
class PublisherWithoutBrokerTest {

    private static String deadBootstrap() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return "127.0.0.1:" + s.getLocalPort();
        }
    }

    @Test
    void publishingWithNoBrokerNeverThrowsNorBlocksAndDropsTheOldestBeyondTheBuffer() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        TelemetryConfig config = TelemetryConfig.builder(deadBootstrap()).bufferCapacity(100)
                .closeTimeout(Duration.ofMillis(500)).build();
        int n = 5_000;
        long[] latencies = new long[n];
        try (FeedbackPublisher publisher = new FeedbackPublisher(config, registry)) {
            for (int i = 0; i < n; i++) {
                RoundEvent e = Fixtures.round("d" + (i % 3), "req-" + i, i, i % 5);
                long t0 = System.nanoTime();
                publisher.publish(e);
                latencies[i] = System.nanoTime() - t0;
            }
            PublisherStats s = publisher.stats();
            assertThat(s.eventsPublished()).isEqualTo(n);
            assertThat(s.bufferedEvents()).isLessThanOrEqualTo(100);
            assertThat(s.eventsDropped()).isGreaterThanOrEqualTo(n - 100 - 1);
            assertThat(s.eventsSent()).isZero();
            assertThat(registry.get(TelemetryMetrics.EVENTS_DROPPED).tag("type", "round").tag("reason", "buffer_full")
                    .counter().count()).isEqualTo(s.eventsDropped());
            assertThat(registry.get(TelemetryMetrics.BUFFER_SIZE).tag("stream", "feedback").gauge().value())
                    .isLessThanOrEqualTo(100);
        }
        Arrays.sort(latencies);
        long p99 = latencies[(int) (n * 0.99)];
        long median = latencies[n / 2];
        // Microseconds, not the 500 ms a blocking Kafka send would take (generous bounds: shared 2-core CI box)
        assertThat(median).as("median publish latency ns").isLessThan(50_000);
        assertThat(p99).as("p99 publish latency ns").isLessThan(2_000_000);
    }

    @Test
    void theKafkaAvailableGaugeFallsToZeroWhenNoBrokerTakesTheRecords() throws Exception {
        var registry = new SimpleMeterRegistry();
        TelemetryConfig config = TelemetryConfig.builder(deadBootstrap()).closeTimeout(Duration.ofMillis(300)).build();
        try (FeedbackPublisher publisher = new FeedbackPublisher(config, registry)) {
            var gauge = registry.get(TelemetryMetrics.KAFKA_AVAILABLE).gauge();
            assertThat(gauge.value()).as("nothing sent yet, nothing failed").isEqualTo(1.0);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            for (int i = 0; gauge.value() == 1.0 && System.nanoTime() < deadline; i++) {
                publisher.publish(Fixtures.summary("d", "req-" + i));
                Thread.sleep(50);
            }
            assertThat(gauge.value()).isEqualTo(0.0);
        }
    }

    @Test
    void sendFailuresExistAtZeroForBothStreamsSoTheFirstOneIsSeenByARate() throws Exception {
        var registry = new SimpleMeterRegistry();
        TelemetryConfig config = TelemetryConfig.builder(deadBootstrap()).closeTimeout(Duration.ofMillis(300)).build();
        try (FeedbackPublisher publisher = new FeedbackPublisher(config, registry)) {
            for (String stream : new String[] {"feedback", "samples"}) {
                assertThat(registry.get(TelemetryMetrics.SEND_FAILURES).tag("stream", stream).counter().count())
                        .isZero();
            }
        }
    }

    @Test
    void closeGivesUpAfterTheCloseTimeoutAndCountsWhatWasNotSent() throws Exception {
        TelemetryConfig config = TelemetryConfig.builder(deadBootstrap()).bufferCapacity(50)
                .closeTimeout(Duration.ofMillis(300)).build();
        FeedbackPublisher publisher = new FeedbackPublisher(config, new SimpleMeterRegistry());
        for (int i = 0; i < 80; i++) {
            publisher.publish(Fixtures.summary("d", "req-" + i));
        }

        long t0 = System.nanoTime();
        publisher.close();
        long closeMs = (System.nanoTime() - t0) / 1_000_000;
        publisher.publish(Fixtures.summary("d", "late"));

        PublisherStats s = publisher.stats();
        assertThat(closeMs).isLessThan(5_000);
        assertThat(s.eventsSent()).isZero();
        assertThat(s.bufferedEvents()).isZero();
        assertThat(s.inFlightEvents()).isZero();
        assertThat(s.eventsPublished()).isEqualTo(81);
        assertThat(s.eventsDropped() + s.eventSendErrors()).isEqualTo(81);
    }

    @Test
    void samplesAreSelectedByFractionAndCappedInBytesPerSecond() throws Exception {
        TrainingSample probe = Fixtures.sample("d", "q", 0, 8, 64, 1);
        long size = SampleCodec.encodedSize(probe, Dtype.FP16);
        TelemetryConfig config = TelemetryConfig.builder(deadBootstrap())
                .sampleFraction(0.25)
                .sampleBytesPerSecond(10 * size)
                .closeTimeout(Duration.ofMillis(200))
                .build();
        try (FeedbackPublisher publisher = new FeedbackPublisher(config, new SimpleMeterRegistry())) {
            int selected = 0;
            for (int i = 0; i < 4_000; i++) {
                if (publisher.sampleThisRound("req-" + i, i % 17)) {
                    selected++;
                }
            }
            assertThat(selected).isBetween(850, 1150);

            int accepted = 0;
            int offered = 0;
            for (int r = 0; r < 400; r++) {
                TrainingSample s = Fixtures.sample("d", "req-x", r, 8, 64, r);
                offered++;
                if (publisher.publishSample(s)) {
                    accepted++;
                }
            }
            PublisherStats st = publisher.stats();
            assertThat(st.samplesOffered()).isEqualTo(offered);
            assertThat(st.samplesSkipped()).isBetween(250L, 350L);
            // burst of one second's worth (10 samples) plus refill during the loop
            assertThat(accepted).isBetween(10, 20);
            assertThat(st.samplesRateLimited()).isEqualTo(offered - st.samplesSkipped() - accepted);
            assertThat(publisher.sampleThisRound("req-x", 3)).isEqualTo(publisher.sampleThisRound("req-x", 3));
        }
    }

    @Test
    void oversizedSamplesAreDroppedAsTooLarge() throws Exception {
        TelemetryConfig config = TelemetryConfig.builder(deadBootstrap()).sampleBytesPerSecond(1000)
                .closeTimeout(Duration.ofMillis(200)).build();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (FeedbackPublisher publisher = new FeedbackPublisher(config, registry)) {
            assertThat(publisher.publishSample(Fixtures.sample("d", "q", 0, 8, 64, 1))).isFalse();
            assertThat(registry.get(TelemetryMetrics.SAMPLES_DROPPED).tag("reason", "too_large").counter().count())
                    .isEqualTo(1.0);
        }
    }

    @Test
    void metersAreRemovedOnClose() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        FeedbackPublisher publisher = new FeedbackPublisher(TelemetryConfig.builder(deadBootstrap())
                .closeTimeout(Duration.ZERO).build(), registry);
        assertThat(registry.find(TelemetryMetrics.EVENTS_SENT).counters()).isNotEmpty();

        publisher.close();

        assertThat(registry.getMeters()).isEmpty();
    }
}
