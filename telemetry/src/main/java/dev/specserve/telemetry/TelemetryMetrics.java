package dev.specserve.telemetry;

/**
 * Micrometer meter names of the telemetry module (dotted; Prometheus renders them with underscores,
 * e.g. {@code specserve_feedback_events_sent_total}).
 */
public final class TelemetryMetrics {

    private TelemetryMetrics() {
    }

    /** Counter, tag {@code type}: events accepted by {@code publish} (including ones later dropped). */
    public static final String EVENTS_PUBLISHED = "specserve.feedback.events.published";
    /** Counter, tag {@code type}: events acknowledged by Kafka. */
    public static final String EVENTS_SENT = "specserve.feedback.events.sent";
    /** Counter, tags {@code type}, {@code reason} (buffer_full, closed): events dropped before sending. */
    public static final String EVENTS_DROPPED = "specserve.feedback.events.dropped";
    /** Counter, tags {@code stream} (feedback, samples), {@code error}: records Kafka failed to deliver. */
    public static final String SEND_ERRORS = "specserve.feedback.send.errors";
    /**
     * Counter, tag {@code stream}: records Kafka failed to deliver, whatever the error; registered at 0 for both
     * streams, so a rate or an alert over it sees the first failure ({@link #SEND_ERRORS} has a series per error
     * class, each born at its first failure).
     */
    public static final String SEND_FAILURES = "specserve.feedback.send.failures";
    /** Counter, tag {@code stream}: value bytes acknowledged by Kafka. */
    public static final String BYTES = "specserve.feedback.bytes";
    /** Gauge: 1 while Kafka acknowledges the feedback publisher's records, 0 while unreachable or stalled. */
    public static final String KAFKA_AVAILABLE = "specserve.feedback.kafka.available";
    /** Gauge, tag {@code stream}: records waiting in the in-memory buffer. */
    public static final String BUFFER_SIZE = "specserve.feedback.buffer.size";
    /** Gauge: records handed to the Kafka client and not yet acknowledged. */
    public static final String IN_FLIGHT = "specserve.feedback.inflight";
    /** Counter: training samples acknowledged by Kafka. */
    public static final String SAMPLES_SENT = "specserve.samples.sent";
    /** Counter: rounds not selected by the sampling fraction. */
    public static final String SAMPLES_SKIPPED = "specserve.samples.skipped";
    /** Counter, tag {@code reason} (rate_limited, too_large, buffer_full, closed): samples dropped. */
    public static final String SAMPLES_DROPPED = "specserve.samples.dropped";
    /** Gauge: encoded bytes of buffered samples. */
    public static final String SAMPLES_BUFFER_BYTES = "specserve.samples.buffer.bytes";

    /** Gauge, tag {@code group}: sum over assigned partitions of end offset minus position. */
    public static final String CONSUMER_LAG = "specserve.feedback.consumer.lag";
    /** Counter, tag {@code kind}: records skipped as malformed (see {@link MalformedRecordException.Kind}). */
    public static final String CONSUMER_MALFORMED = "specserve.feedback.consumer.malformed";
    /** Counter, tags {@code group}, {@code stream}: records decoded and delivered to the listener. */
    public static final String CONSUMER_RECORDS = "specserve.feedback.consumer.records";
    /** Counter, tag {@code group}: listener invocations that threw. */
    public static final String CONSUMER_LISTENER_ERRORS = "specserve.feedback.consumer.listener.errors";

    public static final String STREAM_FEEDBACK = "feedback";
    public static final String STREAM_SAMPLES = "samples";
}
