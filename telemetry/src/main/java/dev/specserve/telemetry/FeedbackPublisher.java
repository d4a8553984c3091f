package dev.specserve.telemetry;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
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
 */
public final class FeedbackPublisher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FeedbackPublisher.class);

    static final int MAX_IN_FLIGHT_RECORDS = 1024;
    static final long MAX_IN_FLIGHT_BYTES = 16L * 1024 * 1024;
    /** Room left in a produce request for the key, headers and batch overhead. */
    static final int RECORD_OVERHEAD_BYTES = 1024;
    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final long RETRY_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    private static final long PRODUCER_RETRY_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** No acknowledgement for this long while records are in flight: report Kafka as unavailable. */
    private static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(5);

    private static final String REASON_BUFFER_FULL = "buffer_full";
    private static final String REASON_CLOSED = "closed";
    private static final String REASON_RATE_LIMITED = "rate_limited";
    private static final String REASON_TOO_LARGE = "too_large";
    private static final String[] EVENT_TYPES = {RoundEvent.TYPE, RequestSummaryEvent.TYPE, DecisionEvent.TYPE};

    private final TelemetryConfig config;
    private final MeterRegistry registry;
    private final Properties producerProps;
    private final DropOldestBuffer<FeedbackEvent> events;
    private final DropOldestBuffer<TrainingSample> samples;
    private final TokenBucket sampleBucket;
    private final long maxSampleBytes;
    private final int maxInFlightRecords;
    private final Thread sender;
    private final Thread topicCreator;

    private final AtomicInteger inFlightEvents = new AtomicInteger();
    private final AtomicInteger inFlightSamples = new AtomicInteger();
    private final AtomicLong inFlightBytes = new AtomicLong();
    private volatile boolean senderIdle;
    private volatile boolean senderWaitingForAcks;
    private volatile boolean closed;
    private volatile long closeDeadlineNanos;
    private final AtomicBoolean closeStarted = new AtomicBoolean();

    // sender-thread state
    private Producer<String, byte[]> producer;
    private boolean inSend;
    private Exception syncFailure;
    private String lastProducerError;

    // counters (exact totals for stats(); Micrometer meters for export)
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
    private final Counter feedbackBytesCounter;
    private final Counter sampleBytesCounter;
    private final Counter samplesSentCounter;
    private final Counter samplesSkippedCounter;
    private final Consumer<FeedbackEvent> evictEvent;
    private final Consumer<TrainingSample> evictSample;

    // outage logging
    private final AtomicBoolean unavailable = new AtomicBoolean();
    private volatile long lastProgressNanos = System.nanoTime();
    private final AtomicBoolean sendErrorStreak = new AtomicBoolean();
    private final AtomicBoolean publishFailureLogged = new AtomicBoolean();

    public FeedbackPublisher(TelemetryConfig config, MeterRegistry registry) {
        this.config = Objects.requireNonNull(config, "config");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.producerProps = producerProperties(config);
        int maxRequestSize = intProperty(producerProps, ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 1024 * 1024);
        this.maxSampleBytes = Math.min(Math.min(maxRequestSize - RECORD_OVERHEAD_BYTES, config.sampleBytesPerSecond()),
                Math.min(config.sampleBufferBytes(), MAX_IN_FLIGHT_BYTES));
        this.maxInFlightRecords = Math.min(config.bufferCapacity(), MAX_IN_FLIGHT_RECORDS);
        this.events = DropOldestBuffer.ofItems(config.bufferCapacity());
        Dtype dtype = config.sampleDtype();
        this.samples = new DropOldestBuffer<>(Integer.MAX_VALUE, config.sampleBufferBytes(),
                s -> SampleCodec.encodedSize(s, dtype));
        this.sampleBucket = new TokenBucket(config.sampleBytesPerSecond(), config.sampleBytesPerSecond(), System::nanoTime);

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
        feedbackBytesCounter = bytesCounter(TelemetryMetrics.STREAM_FEEDBACK);
        sampleBytesCounter = bytesCounter(TelemetryMetrics.STREAM_SAMPLES);
        samplesSentCounter = counter(TelemetryMetrics.SAMPLES_SENT, Tags.empty(), "Training samples acknowledged by Kafka");
        samplesSkippedCounter = counter(TelemetryMetrics.SAMPLES_SKIPPED, Tags.empty(),
                "Rounds not selected by the sampling fraction");
        meters.add(Gauge.builder(TelemetryMetrics.BUFFER_SIZE, events, DropOldestBuffer::size)
                .tags("stream", TelemetryMetrics.STREAM_FEEDBACK).description("Records waiting in the buffer")
                .register(registry));
        meters.add(Gauge.builder(TelemetryMetrics.BUFFER_SIZE, samples, DropOldestBuffer::size)
                .tags("stream", TelemetryMetrics.STREAM_SAMPLES).description("Records waiting in the buffer")
                .register(registry));
        meters.add(Gauge.builder(TelemetryMetrics.SAMPLES_BUFFER_BYTES, samples, DropOldestBuffer::weight)
                .baseUnit("bytes").description("Encoded bytes of buffered samples").register(registry));
        meters.add(Gauge.builder(TelemetryMetrics.IN_FLIGHT, this, p -> p.inFlightEvents.get() + p.inFlightSamples.get())
                .description("Records awaiting acknowledgement from Kafka").register(registry));

        evictEvent = e -> countEventDropped(e, REASON_BUFFER_FULL);
        evictSample = s -> countSampleDropped(REASON_BUFFER_FULL);

        sender = new Thread(this::runSender, "specserve-feedback-sender-" + config.replicaId());
        sender.setDaemon(true);
        sender.start();
        if (config.ensureTopics()) {
            topicCreator = new Thread(this::runTopicCreator, "specserve-feedback-topics-" + config.replicaId());
            topicCreator.setDaemon(true);
            topicCreator.start();
        } else {
            topicCreator = null;
        }
        log.info("Feedback publisher started: bootstrap={}, feedback topic={}, samples topic={}, buffer={} events / {} "
                        + "sample bytes, sample fraction={}, sample cap={} B/s ({})",
                config.bootstrapServers(), config.feedbackTopic(), config.samplesTopic(), config.bufferCapacity(),
                config.sampleBufferBytes(), config.sampleFraction(), config.sampleBytesPerSecond(), config.sampleDtype());
    }

    // ---------------------------------------------------------------------------------- caller API

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
            eventsPublished.increment();
            publishedByType.get(event.type()).increment();
            if (closed) {
                countEventDropped(event, REASON_CLOSED);
                return;
            }
            events.offer(event, evictEvent);
            wakeSender();
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
        double fraction = config.sampleFraction();
        if (fraction >= 1.0) {
            return true;
        }
        if (fraction <= 0.0) {
            return false;
        }
        long h = mix64(((long) (requestId == null ? 0 : requestId.hashCode()) << 32) ^ (round & 0xffffffffL));
        return (h >>> 11) * 0x1.0p-53 < fraction;
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
            samplesOffered.increment();
            if (!sampleThisRound(sample.requestId(), sample.round())) {
                samplesSkipped.increment();
                samplesSkippedCounter.increment();
                return false;
            }
            if (closed) {
                countSampleDropped(REASON_CLOSED);
                return false;
            }
            long size = SampleCodec.encodedSize(sample, config.sampleDtype());
            if (size > maxSampleBytes) {
                countSampleDropped(REASON_TOO_LARGE);
                return false;
            }
            if (!sampleBucket.tryAcquire(size)) {
                samplesRateLimited.increment();
                countSampleDropped(REASON_RATE_LIMITED);
                return false;
            }
            samples.offer(sample, evictSample);
            wakeSender();
            return true;
        } catch (Throwable t) {
            logPublishFailure(t);
            return false;
        }
    }

    /** A snapshot of the counters. */
    public PublisherStats stats() {
        return new PublisherStats(eventsPublished.sum(), eventsSent.sum(), eventsDropped.sum(), eventSendErrors.sum(),
                feedbackBytes.sum(), events.size(), inFlightEvents.get(), samplesOffered.sum(), samplesSkipped.sum(),
                samplesSent.sum(), samplesDropped.sum(), samplesRateLimited.sum(), sampleSendErrors.sum(),
                sampleBytes.sum(), samples.size(), samples.weight(), inFlightSamples.get());
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
        closeDeadlineNanos = System.nanoTime() + config.closeTimeout().toNanos();
        closed = true;
        LockSupport.unpark(sender);
        if (topicCreator != null) {
            topicCreator.interrupt();
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
        events.drain().forEach(e -> countEventDropped(e, REASON_CLOSED));
        samples.drain().forEach(s -> countSampleDropped(REASON_CLOSED));
        PublisherStats s = stats();
        log.info("Feedback publisher closed: events published={} sent={} dropped={} send errors={}; samples sent={} "
                        + "dropped={} send errors={}", s.eventsPublished(), s.eventsSent(), s.eventsDropped(),
                s.eventSendErrors(), s.samplesSent(), s.samplesDropped(), s.sampleSendErrors());
        synchronized (meters) {
            for (Meter m : meters) {
                registry.remove(m);
            }
        }
    }

    // ---------------------------------------------------------------------------------- sender thread

    private void runSender() {
        long backoffUntil = 0;
        while (true) {
            try {
                if (closed && (events.isEmpty() && samples.isEmpty() || System.nanoTime() - closeDeadlineNanos >= 0)) {
                    break;
                }
                long now = System.nanoTime();
                checkStalled(now);
                if (now - backoffUntil < 0) {
                    LockSupport.parkNanos(this, Math.min(backoffUntil - now, IDLE_PARK_NANOS));
                    continue;
                }
                if (producer == null && !createProducer()) {
                    backoffUntil = System.nanoTime() + PRODUCER_RETRY_NANOS;
                    continue;
                }
                if (inFlightEvents.get() + inFlightSamples.get() >= maxInFlightRecords
                        || inFlightBytes.get() >= MAX_IN_FLIGHT_BYTES) {
                    senderWaitingForAcks = true;
                    if (inFlightEvents.get() + inFlightSamples.get() >= maxInFlightRecords
                            || inFlightBytes.get() >= MAX_IN_FLIGHT_BYTES) {
                        LockSupport.parkNanos(this, IDLE_PARK_NANOS);
                    }
                    senderWaitingForAcks = false;
                    continue;
                }
                FeedbackEvent event = events.poll();
                if (event != null) {
                    if (!sendEvent(event)) {
                        backoffUntil = System.nanoTime() + RETRY_BACKOFF_NANOS;
                    }
                    continue;
                }
                TrainingSample sample = samples.poll();
                if (sample != null) {
                    if (!sendSample(sample)) {
                        backoffUntil = System.nanoTime() + RETRY_BACKOFF_NANOS;
                    }
                    continue;
                }
                senderIdle = true;
                if (events.isEmpty() && samples.isEmpty() && !closed) {
                    LockSupport.parkNanos(this, IDLE_PARK_NANOS);
                }
                senderIdle = false;
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
            countSendError(TelemetryMetrics.STREAM_FEEDBACK, e, null);
            return true;
        }
        inFlightEvents.incrementAndGet();
        SendCallback cb = new SendCallback(TelemetryMetrics.STREAM_FEEDBACK, event.type(), value.length);
        return dispatch(new ProducerRecord<>(config.feedbackTopic(), event.partitionKey(), value), cb,
                () -> events.requeueFirst(event, evictEvent));
    }

    private boolean sendSample(TrainingSample sample) {
        byte[] value;
        try {
            value = SampleCodec.encode(sample, config.sampleDtype());
        } catch (RuntimeException e) {
            countSendError(TelemetryMetrics.STREAM_SAMPLES, e, null);
            return true;
        }
        inFlightSamples.incrementAndGet();
        SendCallback cb = new SendCallback(TelemetryMetrics.STREAM_SAMPLES, null, value.length);
        return dispatch(new ProducerRecord<>(config.samplesTopic(), sample.drafterId(), value), cb,
                () -> samples.requeueFirst(sample, evictSample));
    }

    private boolean dispatch(ProducerRecord<String, byte[]> record, SendCallback cb, Runnable requeue) {
        inFlightBytes.addAndGet(cb.bytes);
        syncFailure = null;
        inSend = true;
        try {
            producer.send(record, cb);
        } catch (RuntimeException e) {
            // not an ApiException (those reach the callback): producer closed, fatal state, interrupted
            cb.complete();
            countSendError(cb.stream, e, null);
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
            if (unavailable.compareAndSet(false, true)) {
                log.warn("Kafka at {} is unavailable ({}); buffering feedback (up to {} events, oldest dropped first)",
                        config.bootstrapServers(), failure.getMessage(), config.bufferCapacity());
            }
            return false;
        }
        countSendError(cb.stream, failure, null);
        return true;
    }

    private final class SendCallback implements Callback {
        final String stream;
        final String type;
        final int bytes;
        private final AtomicBoolean done = new AtomicBoolean();

        SendCallback(String stream, String type, int bytes) {
            this.stream = stream;
            this.type = type;
            this.bytes = bytes;
        }

        /** Releases the in-flight slot; true only the first time. */
        boolean complete() {
            if (!done.compareAndSet(false, true)) {
                return false;
            }
            (type == null ? inFlightSamples : inFlightEvents).decrementAndGet();
            inFlightBytes.addAndGet(-bytes);
            if (senderWaitingForAcks) {
                LockSupport.unpark(sender);
            }
            return true;
        }

        @Override
        public void onCompletion(RecordMetadata metadata, Exception exception) {
            if (!complete()) {
                return;
            }
            if (exception == null) {
                onSent(this);
            } else if (inSend && Thread.currentThread() == sender) {
                syncFailure = exception; // handled by dispatch()
            } else {
                countSendError(stream, exception, this);
            }
        }
    }

    /** Detects a broker that went away while records are in flight (they wait in the producer for it). */
    private void checkStalled(long now) {
        if (inFlightEvents.get() + inFlightSamples.get() == 0) {
            lastProgressNanos = now;
            return;
        }
        if (now - lastProgressNanos > STALL_NANOS && unavailable.compareAndSet(false, true)) {
            log.warn("No acknowledgement from Kafka at {} for {} s with {} records in flight; buffering feedback "
                            + "(up to {} events, oldest dropped first; in-flight records are retried for {} ms)",
                    config.bootstrapServers(), TimeUnit.NANOSECONDS.toSeconds(now - lastProgressNanos),
                    inFlightEvents.get() + inFlightSamples.get(), config.bufferCapacity(),
                    producerProps.getProperty(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG));
        }
    }

    private void onSent(SendCallback cb) {
        lastProgressNanos = System.nanoTime();
        if (cb.type != null) {
            eventsSent.increment();
            sentByType.get(cb.type).increment();
            feedbackBytes.add(cb.bytes);
            feedbackBytesCounter.increment(cb.bytes);
        } else {
            samplesSent.increment();
            samplesSentCounter.increment();
            sampleBytes.add(cb.bytes);
            sampleBytesCounter.increment(cb.bytes);
        }
        if (unavailable.compareAndSet(true, false)) {
            log.info("Kafka at {} is reachable again; sending buffered feedback ({} events dropped from the full "
                    + "buffer since start-up)", config.bootstrapServers(), eventsDropped.sum());
        }
        if (sendErrorStreak.compareAndSet(true, false)) {
            log.info("Feedback delivery to {} succeeded again", config.bootstrapServers());
        }
    }

    private boolean createProducer() {
        try {
            producer = new KafkaProducer<>(producerProps);
            lastProducerError = null;
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

    private void closeProducer() {
        Producer<String, byte[]> p = producer;
        producer = null;
        if (p == null) {
            return;
        }
        long remaining = closed ? Math.max(0, closeDeadlineNanos - System.nanoTime()) : 0;
        try {
            p.close(Duration.ofNanos(remaining));
        } catch (RuntimeException e) {
            log.warn("Error closing the Kafka producer: {}", e.toString());
        }
    }

    private void runTopicCreator() {
        long backoffMs = 500;
        try (TopicAdmin admin = new TopicAdmin(config)) {
            while (!closed) {
                try {
                    admin.ensureTopics(Duration.ofSeconds(10));
                    return;
                } catch (RetriableException e) {
                    log.debug("Topics not ensured yet ({}); retrying in {} ms", e.toString(), backoffMs);
                } catch (org.apache.kafka.common.errors.InterruptException e) {
                    return;
                } catch (RuntimeException e) {
                    log.warn("Cannot create the telemetry topics ({}); create them yourself: {}, {}, {} (compacted)",
                            e.toString(), config.feedbackTopic(), config.samplesTopic(), config.updatesTopic());
                    return;
                }
                Thread.sleep(backoffMs);
                backoffMs = Math.min(30_000, backoffMs * 2);
            }
        } catch (InterruptedException e) {
            // closing
        } catch (RuntimeException e) {
            log.warn("Topic creation thread failed: {}", e.toString());
        }
    }

    // ---------------------------------------------------------------------------------- helpers

    private void wakeSender() {
        if (senderIdle) {
            LockSupport.unpark(sender);
        }
    }

    private void countEventDropped(FeedbackEvent event, String reason) {
        eventsDropped.increment();
        Counter c = droppedByTypeReason.get(event.type() + '/' + reason);
        if (c != null) {
            c.increment();
        }
    }

    private void countSampleDropped(String reason) {
        samplesDropped.increment();
        samplesDroppedByReason.get(reason).increment();
    }

    private void countSendError(String stream, Exception e, SendCallback cb) {
        lastProgressNanos = System.nanoTime();
        if (TelemetryMetrics.STREAM_FEEDBACK.equals(stream)) {
            eventSendErrors.increment();
        } else {
            sampleSendErrors.increment();
        }
        String error = e.getClass().getSimpleName();
        sendErrorCounters.computeIfAbsent(stream + '/' + error, k -> counter(TelemetryMetrics.SEND_ERRORS,
                Tags.of("stream", stream, "error", error), "Records Kafka failed to deliver")).increment();
        if (sendErrorStreak.compareAndSet(false, true)) {
            log.warn("Feedback delivery to {} failed ({} record): {}; further failures are logged at debug until "
                    + "delivery succeeds again", config.bootstrapServers(), stream, e.toString());
        } else {
            log.debug("Feedback delivery failed ({} record): {}", stream, e.toString());
        }
    }

    private void logPublishFailure(Throwable t) {
        if (publishFailureLogged.compareAndSet(false, true)) {
            log.error("Unexpected error while publishing feedback (logged once)", t);
        }
    }

    private Counter counter(String name, Tags tags, String description) {
        Counter c = Counter.builder(name).tags(tags).description(description).register(registry);
        synchronized (meters) {
            meters.add(c);
        }
        return c;
    }

    private Counter bytesCounter(String stream) {
        Counter c = Counter.builder(TelemetryMetrics.BYTES).tags("stream", stream).baseUnit("bytes")
                .description("Value bytes acknowledged by Kafka").register(registry);
        synchronized (meters) {
            meters.add(c);
        }
        return c;
    }

    static Properties producerProperties(TelemetryConfig config) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "specserve-feedback-" + config.replicaId());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        // One request in flight per broker. With several, a request that fails retriably (e.g.
        // NOT_LEADER_OR_FOLLOWER on a partition the broker has not opened yet, right after topic creation)
        // can be overtaken by the next one; every retry of the first then fails with
        // OUT_OF_ORDER_SEQUENCE_NUMBER until delivery.timeout.ms and its records are lost
        // (KAFKA-14359 / KAFKA-15591; reproduced against the 4.4.0 broker in KafkaFeedbackPipelineTest).
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "500");
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
        p.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, "100");
        p.put(ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG, "1000");
        p.put(ProducerConfig.RECONNECT_BACKOFF_MS_CONFIG, "50");
        p.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "1000");
        p.put(ProducerConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MS_CONFIG, "5000");
        p.put(ProducerConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS_CONFIG, "10000");
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(2 * MAX_IN_FLIGHT_BYTES + 8L * 1024 * 1024));
        p.putAll(config.clientPropertiesFor("producer"));
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return p;
    }

    private static int intProperty(Properties p, String key, int fallback) {
        Object v = p.get(key);
        if (v == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(v.toString().trim());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    /** SplitMix64 finaliser. */
    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
