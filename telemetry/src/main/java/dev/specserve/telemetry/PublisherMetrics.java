package dev.specserve.telemetry;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts what a {@link FeedbackPublisher} does, both as exact totals for {@link PublisherStats} and as
 * Micrometer meters (names in {@link TelemetryMetrics}) that {@link #close()} removes again.
 */
final class PublisherMetrics implements AutoCloseable {

    static final String REASON_BUFFER_FULL = "buffer_full";
    static final String REASON_CLOSED = "closed";
    static final String REASON_RATE_LIMITED = "rate_limited";
    static final String REASON_TOO_LARGE = "too_large";
    private static final String[] EVENT_TYPES = {RoundEvent.TYPE, RequestSummaryEvent.TYPE, DecisionEvent.TYPE};

    private final MeterRegistry registry;

    private final LongAdder eventsPublished = new LongAdder();
    private final LongAdder eventsSent = new LongAdder();
    private final LongAdder eventsDropped = new LongAdder();
    private final LongAdder eventSendErrors = new LongAdder();
    private final LongAdder feedbackBytes = new LongAdder();
    private final LongAdder samplesOffered = new LongAdder();
    private final LongAdder samplesSkipped = new LongAdder();
    private final LongAdder samplesSent = new LongAdder();
    private final LongAdder samplesDropped = new LongAdder();
    private final LongAdder samplesRateLimited = new LongAdder();
    private final LongAdder sampleSendErrors = new LongAdder();
    private final LongAdder sampleBytes = new LongAdder();

    private final List<Meter> meters = new ArrayList<>();
    private final Map<String, Counter> publishedByType = new ConcurrentHashMap<>();
    private final Map<String, Counter> sentByType = new ConcurrentHashMap<>();
    private final Map<String, Counter> droppedByTypeReason = new ConcurrentHashMap<>();
    private final Map<String, Counter> samplesDroppedByReason = new ConcurrentHashMap<>();
    private final Map<String, Counter> sendErrorCounters = new ConcurrentHashMap<>();
    private final Map<String, Counter> sendFailuresByStream = new ConcurrentHashMap<>();
    private final Counter feedbackBytesCounter;
    private final Counter sampleBytesCounter;
    private final Counter samplesSentCounter;
    private final Counter samplesSkippedCounter;

    PublisherMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (String type : EVENT_TYPES) {
            publishedByType.put(type, counter(TelemetryMetrics.EVENTS_PUBLISHED, Tags.of("type", type),
                    "Feedback events passed to publish"));
            sentByType.put(type, counter(TelemetryMetrics.EVENTS_SENT, Tags.of("type", type),
                    "Feedback events acknowledged by Kafka"));
            for (String reason : new String[]{REASON_BUFFER_FULL, REASON_CLOSED}) {
                droppedByTypeReason.put(type + '/' + reason, counter(TelemetryMetrics.EVENTS_DROPPED,
                        Tags.of("type", type, "reason", reason), "Feedback events dropped before sending"));
            }
        }
        for (String reason : new String[]{REASON_RATE_LIMITED, REASON_TOO_LARGE, REASON_BUFFER_FULL, REASON_CLOSED}) {
            samplesDroppedByReason.put(reason, counter(TelemetryMetrics.SAMPLES_DROPPED, Tags.of("reason", reason),
                    "Training samples dropped"));
        }
        for (String stream : new String[]{TelemetryMetrics.STREAM_FEEDBACK, TelemetryMetrics.STREAM_SAMPLES}) {
            sendFailuresByStream.put(stream, counter(TelemetryMetrics.SEND_FAILURES, Tags.of("stream", stream),
                    "Records Kafka failed to deliver, any error"));
        }
        feedbackBytesCounter = bytesCounter(TelemetryMetrics.STREAM_FEEDBACK);
        sampleBytesCounter = bytesCounter(TelemetryMetrics.STREAM_SAMPLES);
        samplesSentCounter = counter(TelemetryMetrics.SAMPLES_SENT, Tags.empty(), "Training samples acknowledged by Kafka");
        samplesSkippedCounter = counter(TelemetryMetrics.SAMPLES_SKIPPED, Tags.empty(),
                "Rounds not selected by the sampling fraction");
    }

    /** Registers the gauges of the buffered and in-flight records (removed on {@link #close()} too). */
    void registerGauges(PublisherBuffers buffers, InFlight inFlight, DeliveryHealth health) {
        register(Gauge.builder(TelemetryMetrics.KAFKA_AVAILABLE, health, DeliveryHealth::available)
                .description("1 while Kafka acknowledges feedback, 0 while it is unreachable or stalled")
                .register(registry));
        register(Gauge.builder(TelemetryMetrics.BUFFER_SIZE, buffers, PublisherBuffers::eventCount)
                .tags("stream", TelemetryMetrics.STREAM_FEEDBACK).description("Records waiting in the buffer")
                .register(registry));
        register(Gauge.builder(TelemetryMetrics.BUFFER_SIZE, buffers, PublisherBuffers::sampleCount)
                .tags("stream", TelemetryMetrics.STREAM_SAMPLES).description("Records waiting in the buffer")
                .register(registry));
        register(Gauge.builder(TelemetryMetrics.SAMPLES_BUFFER_BYTES, buffers, PublisherBuffers::sampleBytes)
                .baseUnit("bytes").description("Encoded bytes of buffered samples").register(registry));
        register(Gauge.builder(TelemetryMetrics.IN_FLIGHT, inFlight, InFlight::records)
                .description("Records awaiting acknowledgement from Kafka").register(registry));
    }

    /** The producer's own Kafka metrics, until the returned meters are closed with it. */
    KafkaClientMeters clientMeters(org.apache.kafka.clients.producer.Producer<?, ?> producer) {
        return KafkaClientMeters.of(producer, registry);
    }

    void eventPublished(FeedbackEvent event) {
        eventsPublished.increment();
        publishedByType.get(event.type()).increment();
    }

    void eventDropped(FeedbackEvent event, String reason) {
        eventsDropped.increment();
        Counter c = droppedByTypeReason.get(event.type() + '/' + reason);
        if (c != null) {
            c.increment();
        }
    }

    void eventSent(String type, int bytes) {
        eventsSent.increment();
        sentByType.get(type).increment();
        feedbackBytes.add(bytes);
        feedbackBytesCounter.increment(bytes);
    }

    void sampleOffered() {
        samplesOffered.increment();
    }

    void sampleSkipped() {
        samplesSkipped.increment();
        samplesSkippedCounter.increment();
    }

    void sampleRateLimited() {
        samplesRateLimited.increment();
        sampleDropped(REASON_RATE_LIMITED);
    }

    void sampleDropped(String reason) {
        samplesDropped.increment();
        samplesDroppedByReason.get(reason).increment();
    }

    void sampleSent(int bytes) {
        samplesSent.increment();
        samplesSentCounter.increment();
        sampleBytes.add(bytes);
        sampleBytesCounter.increment(bytes);
    }

    /** A record of {@code stream} that Kafka failed to deliver (or that could not be encoded). */
    void sendError(String stream, Exception e) {
        if (TelemetryMetrics.STREAM_FEEDBACK.equals(stream)) {
            eventSendErrors.increment();
        } else {
            sampleSendErrors.increment();
        }
        sendFailuresByStream.get(stream).increment();
        String error = e.getClass().getSimpleName();
        sendErrorCounters.computeIfAbsent(stream + '/' + error, k -> counter(TelemetryMetrics.SEND_ERRORS,
                Tags.of("stream", stream, "error", error), "Records Kafka failed to deliver")).increment();
    }

    long eventsDropped() {
        return eventsDropped.sum();
    }

    PublisherStats snapshot(PublisherBuffers buffers, InFlight inFlight) {
        return new PublisherStats(eventsPublished.sum(), eventsSent.sum(), eventsDropped.sum(), eventSendErrors.sum(),
                feedbackBytes.sum(), buffers.eventCount(), inFlight.events(), samplesOffered.sum(), samplesSkipped.sum(),
                samplesSent.sum(), samplesDropped.sum(), samplesRateLimited.sum(), sampleSendErrors.sum(),
                sampleBytes.sum(), buffers.sampleCount(), buffers.sampleBytes(), inFlight.samples());
    }

    /** Removes every meter from the registry; the totals stay readable. */
    @Override
    public void close() {
        synchronized (meters) {
            for (Meter m : meters) {
                registry.remove(m);
            }
        }
    }

    private Counter counter(String name, Tags tags, String description) {
        return register(Counter.builder(name).tags(tags).description(description).register(registry));
    }

    private Counter bytesCounter(String stream) {
        return register(Counter.builder(TelemetryMetrics.BYTES).tags("stream", stream).baseUnit("bytes")
                .description("Value bytes acknowledged by Kafka").register(registry));
    }

    private <M extends Meter> M register(M meter) {
        synchronized (meters) {
            meters.add(meter);
        }
        return meter;
    }
}
