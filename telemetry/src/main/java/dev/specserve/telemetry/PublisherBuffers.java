package dev.specserve.telemetry;

import java.util.function.Consumer;

/**
 * The two bounded drop-oldest queues between the callers of a {@link FeedbackPublisher} and its sender
 * thread: events bounded in count, samples in encoded bytes. Every entry dropped is counted.
 */
final class PublisherBuffers {

    private final PublisherMetrics metrics;
    private final DropOldestBuffer<FeedbackEvent> events;
    private final DropOldestBuffer<TrainingSample> samples;
    private final Consumer<FeedbackEvent> evictEvent;
    private final Consumer<TrainingSample> evictSample;

    PublisherBuffers(TelemetryConfig config, PublisherMetrics metrics) {
        this.metrics = metrics;
        this.events = DropOldestBuffer.ofItems(config.bufferCapacity());
        Dtype dtype = config.sampleDtype();
        this.samples = new DropOldestBuffer<>(Integer.MAX_VALUE, config.sampleBufferBytes(),
                s -> SampleCodec.encodedSize(s, dtype));
        this.evictEvent = e -> metrics.eventDropped(e, PublisherMetrics.REASON_BUFFER_FULL);
        this.evictSample = s -> metrics.sampleDropped(PublisherMetrics.REASON_BUFFER_FULL);
    }

    /** Appends an event, dropping the oldest when full. */
    void offer(FeedbackEvent event) {
        events.offer(event, evictEvent);
    }

    /** Appends a sample, dropping the oldest until its bytes fit. */
    void offer(TrainingSample sample) {
        samples.offer(sample, evictSample);
    }

    FeedbackEvent pollEvent() {
        return events.poll();
    }

    TrainingSample pollSample() {
        return samples.poll();
    }

    /** Puts back an event that could not be handed to Kafka; it is the one dropped when there is no room. */
    void requeue(FeedbackEvent event) {
        events.requeueFirst(event, evictEvent);
    }

    /** Puts back a sample that could not be handed to Kafka; it is the one dropped when there is no room. */
    void requeue(TrainingSample sample) {
        samples.requeueFirst(sample, evictSample);
    }

    boolean isEmpty() {
        return events.isEmpty() && samples.isEmpty();
    }

    /** Empties both buffers, counting every entry as dropped because the publisher closed. */
    void dropAllAsClosed() {
        events.drain().forEach(e -> metrics.eventDropped(e, PublisherMetrics.REASON_CLOSED));
        samples.drain().forEach(s -> metrics.sampleDropped(PublisherMetrics.REASON_CLOSED));
    }

    int eventCount() {
        return events.size();
    }

    int sampleCount() {
        return samples.size();
    }

    long sampleBytes() {
        return samples.weight();
    }
}
