package dev.specserve.telemetry;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sender thread of a {@link FeedbackPublisher}: drains its buffers (events first) into a Kafka
 * producer that it creates, recreates after a fatal failure and closes, within the {@link InFlight} bounds;
 * a record the producer cannot take now goes back to the head of its buffer and is retried after a back-off.
 */
final class FeedbackSender {

    /** Logged under the publisher's name, as before the publisher was split. */
    private static final Logger log = LoggerFactory.getLogger(FeedbackPublisher.class);

    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final long RETRY_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    private static final long PRODUCER_RETRY_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final TelemetryConfig config;
    private final Properties producerProps;
    private final PublisherBuffers buffers;
    private final PublisherMetrics metrics;
    private final InFlight inFlight;
    private final DeliveryHealth health;
    private final Thread thread;
    private volatile boolean idle;
    private volatile boolean closed;
    private volatile long closeDeadlineNanos;

    // sender-thread state
    private Producer<String, byte[]> producer;
    private KafkaClientMeters clientMeters; // with the producer
    private boolean inSend;
    private Exception syncFailure;
    private String lastProducerError;

    FeedbackSender(TelemetryConfig config, Properties producerProps, PublisherBuffers buffers, PublisherMetrics metrics) {
        this.config = config;
        this.producerProps = producerProps;
        this.buffers = buffers;
        this.metrics = metrics;
        this.inFlight = new InFlight(config.bufferCapacity());
        this.health = new DeliveryHealth(config, producerProps.getProperty(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG),
                metrics::eventsDropped);
        this.thread = new Thread(this::run, "specserve-feedback-sender-" + config.replicaId());
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    InFlight inFlight() {
        return inFlight;
    }

    DeliveryHealth health() {
        return health;
    }

    /** Wakes the thread if it is idle: something was buffered. */
    void wake() {
        if (idle) {
            LockSupport.unpark(thread);
        }
    }

    /** Sends what is buffered until {@code deadlineNanos} ({@link System#nanoTime()}), then closes the producer. */
    void close(long deadlineNanos) {
        closeDeadlineNanos = deadlineNanos;
        closed = true;
        LockSupport.unpark(thread);
    }

    void join(long millis) throws InterruptedException {
        thread.join(millis);
    }

    boolean isAlive() {
        return thread.isAlive();
    }

    private void run() {
        long backoffUntil = 0;
        while (true) {
            try {
                if (closed && (buffers.isEmpty() || System.nanoTime() - closeDeadlineNanos >= 0)) {
                    break;
                }
                long now = System.nanoTime();
                health.checkStalled(now, inFlight);
                if (now - backoffUntil < 0) {
                    LockSupport.parkNanos(this, Math.min(backoffUntil - now, IDLE_PARK_NANOS));
                    continue;
                }
                if (producer == null && !createProducer()) {
                    backoffUntil = System.nanoTime() + PRODUCER_RETRY_NANOS;
                    continue;
                }
                if (inFlight.full()) {
                    inFlight.awaitRoom(this, IDLE_PARK_NANOS);
                    continue;
                }
                FeedbackEvent event = buffers.pollEvent();
                if (event != null) {
                    if (!sendEvent(event)) {
                        backoffUntil = System.nanoTime() + RETRY_BACKOFF_NANOS;
                    }
                    continue;
                }
                TrainingSample sample = buffers.pollSample();
                if (sample != null) {
                    if (!sendSample(sample)) {
                        backoffUntil = System.nanoTime() + RETRY_BACKOFF_NANOS;
                    }
                    continue;
                }
                idle = true;
                if (buffers.isEmpty() && !closed) {
                    LockSupport.parkNanos(this, IDLE_PARK_NANOS);
                }
                idle = false;
            } catch (Throwable t) {
                log.error("Unexpected error in the feedback sender thread; continuing", t);
                backoffUntil = System.nanoTime() + PRODUCER_RETRY_NANOS;
            }
        }
        closeProducer();
    }

    /** @return false when the record could not be handed to Kafka now and was put back (back off) */
    private boolean sendEvent(FeedbackEvent event) {
        byte[] value;
        try {
            value = FeedbackJson.toBytes(event);
        } catch (RuntimeException e) {
            countSendError(TelemetryMetrics.STREAM_FEEDBACK, e);
            return true;
        }
        SendCallback cb = new SendCallback(TelemetryMetrics.STREAM_FEEDBACK, event.type(), value.length);
        // the record's timestamp is the event's, not the send's: retention, offsetsForTimes and stream windows
        // then see event time even after an outage delayed the send
        return dispatch(new ProducerRecord<>(config.feedbackTopic(), null, event.timestampMs(), event.partitionKey(),
                value), cb, () -> buffers.requeue(event));
    }

    private boolean sendSample(TrainingSample sample) {
        byte[] value;
        try {
            value = SampleCodec.encode(sample, config.sampleDtype());
        } catch (RuntimeException e) {
            countSendError(TelemetryMetrics.STREAM_SAMPLES, e);
            return true;
        }
        SendCallback cb = new SendCallback(TelemetryMetrics.STREAM_SAMPLES, null, value.length);
        return dispatch(new ProducerRecord<>(config.samplesTopic(), sample.drafterId(), value), cb,
                () -> buffers.requeue(sample));
    }

    private boolean dispatch(ProducerRecord<String, byte[]> record, SendCallback cb, Runnable requeue) {
        inFlight.acquire(cb.isEvent(), cb.bytes);
        syncFailure = null;
        inSend = true;
        try {
            producer.send(record, cb);
        } catch (RuntimeException e) {
            // not an ApiException (those reach the callback): producer closed, fatal state, interrupted
            cb.complete();
            countSendError(cb.stream, e);
            log.warn("Kafka producer failed ({}); recreating it", e.toString());
            closeProducer();
            return false;
        } finally {
            inSend = false;
        }
        Exception failure = syncFailure;
        if (failure == null) {
            return true;
        }
        syncFailure = null;
        if (failure instanceof RetriableException) {
            // typically metadata unavailable within max.block.ms: broker down or topic not created yet
            requeue.run();
            health.unavailable(failure);
            return false;
        }
        countSendError(cb.stream, failure);
        return true;
    }

    private final class SendCallback implements Callback {
        final String stream;
        /** The event type, or null for a sample. */
        final String type;
        final int bytes;
        private final AtomicBoolean done = new AtomicBoolean();

        SendCallback(String stream, String type, int bytes) {
            this.stream = stream;
            this.type = type;
            this.bytes = bytes;
        }

        boolean isEvent() {
            return type != null;
        }

        /** Releases the in-flight slot; true only the first time. */
        boolean complete() {
            if (!done.compareAndSet(false, true)) {
                return false;
            }
            inFlight.release(isEvent(), bytes);
            return true;
        }

        @Override
        public void onCompletion(RecordMetadata metadata, Exception exception) {
            if (!complete()) {
                return;
            }
            if (exception == null) {
                if (isEvent()) {
                    metrics.eventSent(type, bytes);
                } else {
                    metrics.sampleSent(bytes);
                }
                health.acknowledged();
            } else if (inSend && Thread.currentThread() == thread) {
                syncFailure = exception; // handled by dispatch()
            } else {
                countSendError(stream, exception);
            }
        }
    }

    private void countSendError(String stream, Exception e) {
        metrics.sendError(stream, e);
        health.deliveryFailed(stream, e);
    }

    private boolean createProducer() {
        try {
            producer = new KafkaProducer<>(producerProps);
            lastProducerError = null;
            bindMeters();
            return true;
        } catch (RuntimeException e) {
            String msg = e.toString();
            if (!msg.equals(lastProducerError)) {
                log.error("Cannot create the Kafka producer for {} (retrying every {} s): {}", config.bootstrapServers(),
                        TimeUnit.NANOSECONDS.toSeconds(PRODUCER_RETRY_NANOS), msg);
                lastProducerError = msg;
            }
            return false;
        }
    }

    /** The producer's own metrics; a failure to bind them costs the meters, never the producer. */
    private void bindMeters() {
        try {
            clientMeters = metrics.clientMeters(producer);
        } catch (RuntimeException e) {
            clientMeters = null;
            log.warn("The Kafka producer's own metrics are not published: {}", e.toString());
        }
    }

    private void closeProducer() {
        Producer<String, byte[]> p = producer;
        producer = null;
        if (p == null) {
            return;
        }
        if (clientMeters != null) {
            clientMeters.close();
            clientMeters = null;
        }
        long remaining = closed ? Math.max(0, closeDeadlineNanos - System.nanoTime()) : 0;
        try {
            p.close(Duration.ofNanos(remaining));
        } catch (RuntimeException e) {
            log.warn("Error closing the Kafka producer: {}", e.toString());
        }
    }
}
