package dev.specserve.telemetry;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes verifier feedback to Kafka without ever slowing decoding down.
 *
 * <p>{@code publish(...)} and {@link #publishSample} only append to a bounded in-memory buffer and
 * return: they never throw, never wait for Kafka, and cost about a microsecond. When the buffer is full
 * the <em>oldest</em> entry is dropped and counted. A dedicated sender thread drains the buffers into a
 * plain {@link KafkaProducer} (idempotent, {@code acks=all}, one request in flight per broker, lz4), keeping at most
 * {@code min(bufferCapacity, 1024)} records and 16 MiB awaiting acknowledgement.
 *
 * <p>Failure handling:
 * <ul>
 *   <li>Kafka down at start-up, or topic metadata unavailable: the producer's {@code send} fails
 *       after {@code max.block.ms} (500 ms, on the sender thread); the record is put back at the head of
 *       the buffer and retried after a back-off, so order is kept and the buffer's drop-oldest bound
 *       applies.</li>
 *   <li>Kafka going down mid-run: records already handed to the producer are retried by it (same
 *       partition order, idempotent) until {@code delivery.timeout.ms} (30 s); those not delivered by
 *       then are counted as send errors. The producer reconnects by itself when the broker returns
 *       (reconnect back-off ≤ 1 s).</li>
 *   <li>Records Kafka rejects (e.g. too large, authorisation) are counted as send errors.</li>
 * </ul>
 *
 * <p>Keys are drafter ids ({@link FeedbackEvent#partitionKey()}, {@link TrainingSample#drafterId()}), so
 * per-drafter order holds within each topic. Samples are selected deterministically per
 * {@code (requestId, round)} with probability {@code sampleFraction} (see {@link #sampleThisRound}) and
 * capped in encoded bytes per second by a token bucket.
 *
 * <p>Metrics are registered in the given registry under the names in {@link TelemetryMetrics} and
 * removed on {@link #close()}.
 *
 * <p>This class is the facade; the work is done by {@link PublisherBuffers} (the drop-oldest buffers),
 * {@link SampleGate} (which samples go out), {@link FeedbackSender} (the sender thread and its producer,
 * bounded by {@link InFlight}, outages reported by {@link DeliveryHealth}), {@link TopicCreator} and
 * {@link PublisherMetrics} (counters and meters).
 */
public final class FeedbackPublisher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FeedbackPublisher.class);

    private final TelemetryConfig config;
    private final PublisherMetrics metrics;
    private final PublisherBuffers buffers;
    private final SampleGate sampleGate;
    private final FeedbackSender sender;
    private final TopicCreator topicCreator;
    private volatile boolean closed;
    private final AtomicBoolean closeStarted = new AtomicBoolean();
    private final AtomicBoolean publishFailureLogged = new AtomicBoolean();

    public FeedbackPublisher(TelemetryConfig config, MeterRegistry registry) {
        this.config = Objects.requireNonNull(config, "config");
        Objects.requireNonNull(registry, "registry");
        Properties producerProps = FeedbackProducerConfig.properties(config);
        this.sampleGate = SampleGate.of(config, FeedbackProducerConfig.maxRequestSize(producerProps));
        this.metrics = new PublisherMetrics(registry);
        this.buffers = new PublisherBuffers(config, metrics);
        this.sender = new FeedbackSender(config, producerProps, buffers, metrics);
        metrics.registerGauges(buffers, sender.inFlight(), sender.health());

        sender.start();
        topicCreator = config.ensureTopics() ? TopicCreator.start(config) : null;
        log.info("Feedback publisher started: bootstrap={}, feedback topic={}, samples topic={}, buffer={} events / {} "
                        + "sample bytes, sample fraction={}, sample cap={} B/s ({})",
                config.bootstrapServers(), config.feedbackTopic(), config.samplesTopic(), config.bufferCapacity(),
                config.sampleBufferBytes(), config.sampleFraction(), config.sampleBytesPerSecond(), config.sampleDtype());
    }

    /** Queues a round event. Never throws, never blocks. */
    public void publish(RoundEvent event) {
        publishEvent(event);
    }

    /** Queues a request summary. Never throws, never blocks. */
    public void publish(RequestSummaryEvent event) {
        publishEvent(event);
    }

    /** Queues a bandit decision. Never throws, never blocks. */
    public void publish(DecisionEvent event) {
        publishEvent(event);
    }

    /** Queues any feedback event. Never throws, never blocks. */
    public void publishEvent(FeedbackEvent event) {
        try {
            if (event == null) {
                return;
            }
            metrics.eventPublished(event);
            if (closed) {
                metrics.eventDropped(event, PublisherMetrics.REASON_CLOSED);
                return;
            }
            buffers.offer(event);
            sender.wake();
        } catch (Throwable t) {
            logPublishFailure(t);
        }
    }

    /**
     * Whether the training sample of round {@code round} of request {@code requestId} is selected by the
     * sampling fraction. Deterministic, so the caller can skip building unselected samples;
     * {@link #publishSample} applies the same test.
     */
    public boolean sampleThisRound(String requestId, int round) {
        return sampleGate.selected(requestId, round);
    }

    /**
     * Queues a training sample if its round is selected by the sampling fraction and the bytes-per-second
     * cap allows it. Never throws, never blocks. The sample's arrays must not be modified afterwards.
     *
     * @return whether the sample was queued
     */
    public boolean publishSample(TrainingSample sample) {
        try {
            if (sample == null) {
                return false;
            }
            metrics.sampleOffered();
            if (!sampleGate.selected(sample.requestId(), sample.round())) {
                metrics.sampleSkipped();
                return false;
            }
            if (closed) {
                metrics.sampleDropped(PublisherMetrics.REASON_CLOSED);
                return false;
            }
            switch (sampleGate.admit(SampleCodec.encodedSize(sample, config.sampleDtype()))) {
                case TOO_LARGE -> {
                    metrics.sampleDropped(PublisherMetrics.REASON_TOO_LARGE);
                    return false;
                }
                case RATE_LIMITED -> {
                    metrics.sampleRateLimited();
                    return false;
                }
                default -> {
                    buffers.offer(sample);
                    sender.wake();
                    return true;
                }
            }
        } catch (Throwable t) {
            logPublishFailure(t);
            return false;
        }
    }

    /** A snapshot of the counters. */
    public PublisherStats stats() {
        return metrics.snapshot(buffers, sender.inFlight());
    }

    public TelemetryConfig config() {
        return config;
    }

    /**
     * Stops accepting records, sends what is buffered for up to {@code closeTimeout}, then closes the
     * producer. Records still buffered or unacknowledged afterwards are counted as dropped or as send
     * errors. Idempotent.
     */
    @Override
    public void close() {
        if (!closeStarted.compareAndSet(false, true)) {
            return;
        }
        long deadlineNanos = System.nanoTime() + config.closeTimeout().toNanos();
        closed = true;
        sender.close(deadlineNanos);
        if (topicCreator != null) {
            topicCreator.stop();
        }
        try {
            sender.join(config.closeTimeout().toMillis() + 10_000);
            if (topicCreator != null) {
                topicCreator.join(5_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (sender.isAlive()) {
            log.warn("Feedback sender thread did not stop in time");
        }
        // anything published concurrently with the sender's last look
        buffers.dropAllAsClosed();
        PublisherStats s = stats();
        log.info("Feedback publisher closed: events published={} sent={} dropped={} send errors={}; samples sent={} "
                        + "dropped={} send errors={}", s.eventsPublished(), s.eventsSent(), s.eventsDropped(),
                s.eventSendErrors(), s.samplesSent(), s.samplesDropped(), s.sampleSendErrors());
        metrics.close();
    }

    private void logPublishFailure(Throwable t) {
        if (publishFailureLogged.compareAndSet(false, true)) {
            log.error("Unexpected error while publishing feedback (logged once)", t);
        }
    }
}
