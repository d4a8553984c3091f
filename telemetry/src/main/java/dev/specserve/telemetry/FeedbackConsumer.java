package dev.specserve.telemetry;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the feedback and/or samples topics with a consumer group on its own thread and hands decoded
 * records to a {@link FeedbackListener}.
 *
 * <p>Malformed records (not JSON, unknown schema version or type, invalid fields, bad or truncated
 * binary samples) are skipped and counted per {@link MalformedRecordException.Kind} (meter
 * {@code specserve.feedback.consumer.malformed}, tag {@code kind}); the first of each kind is logged
 * with its topic, partition and offset. Offsets are committed automatically (at least once: a record
 * may be redelivered after a rebalance or a broker restart), and synchronously on {@link #close()}.
 *
 * <p>{@link #lag()} is the sum over assigned partitions of end offset minus position, refreshed by the
 * consumer thread after every poll (gauge {@code specserve.feedback.consumer.lag}).
 *
 * <p>A broker outage only pauses delivery: the Kafka client reconnects by itself. Topics that do not
 * exist yet when the consumer starts (it never creates them) are picked up within
 * {@code metadata.max.age.ms} (30 s) of their creation by the publisher or {@link TopicAdmin}.
 */
public final class FeedbackConsumer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FeedbackConsumer.class);
    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final long END_OFFSETS_REFRESH_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final TelemetryConfig config;
    private final String groupId;
    private final FeedbackListener listener;
    private final List<String> topics;
    private final Properties props;
    private final Duration pollTimeout;

    private final Set<MalformedRecordException.Kind> loggedKinds = ConcurrentHashMap.newKeySet();
    private final ConsumerCounts counts;
    private final CountDownLatch assigned = new CountDownLatch(1);

    private volatile long lag;
    private volatile Set<TopicPartition> assignment = Set.of();
    private volatile boolean running;
    private volatile KafkaConsumer<String, byte[]> consumer;
    private Thread thread;
    private boolean closed;
    private long lastEndOffsetsQuery;

    /**
     * A consumer of both the feedback and the samples topics that starts, for a new group, from the
     * earliest retained record.
     */
    public FeedbackConsumer(TelemetryConfig config, String groupId, FeedbackListener listener, MeterRegistry registry) {
        this(builder(config, registry).groupId(groupId).listener(listener));
    }

    private FeedbackConsumer(Builder b) {
        this.config = b.config;
        this.groupId = Validation.requireText(b.groupId, "groupId");
        this.listener = Objects.requireNonNull(b.listener, "listener");
        this.pollTimeout = b.pollTimeout;
        List<String> t = new ArrayList<>();
        if (b.feedback) {
            t.add(config.feedbackTopic());
        }
        if (b.samples) {
            t.add(config.samplesTopic());
        }
        if (t.isEmpty()) {
            throw new IllegalArgumentException("subscribe to at least one of the feedback and samples topics");
        }
        this.topics = List.copyOf(t);
        this.props = consumerProperties(config, groupId, b.fromBeginning);
        this.counts = new ConsumerCounts(b.registry, groupId, this::lag);
    }

    public static Builder builder(TelemetryConfig config, MeterRegistry registry) {
        return new Builder(config, registry);
    }

    /** Starts the consumer thread. */
    public synchronized FeedbackConsumer start() {
        if (closed) {
            throw new IllegalStateException("consumer is closed");
        }
        if (thread != null) {
            throw new IllegalStateException("consumer already started");
        }
        running = true;
        thread = new Thread(this::run, "specserve-feedback-consumer-" + groupId);
        thread.setDaemon(true);
        thread.start();
        return this;
    }

    /** Consumer lag in records: sum over assigned partitions of end offset minus position. */
    public long lag() {
        return lag;
    }

    /** Skipped-record counts by kind (all kinds, zeros included). */
    public Map<MalformedRecordException.Kind, Long> malformedCounts() {
        return counts.malformedCounts();
    }

    public long malformedCount(MalformedRecordException.Kind kind) {
        return counts.malformedCount(kind);
    }

    public long malformedTotal() {
        return counts.malformedTotal();
    }

    /** Feedback events delivered to the listener. */
    public long eventsDelivered() {
        return counts.events();
    }

    /** Training samples delivered to the listener. */
    public long samplesDelivered() {
        return counts.samples();
    }

    public long listenerErrors() {
        return counts.listenerErrors();
    }

    /** The partitions currently assigned to this consumer. */
    public Set<TopicPartition> assignment() {
        return assignment;
    }

    /** Waits until the group has assigned partitions to this consumer at least once. */
    public boolean awaitAssignment(Duration timeout) throws InterruptedException {
        return assigned.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    public String groupId() {
        return groupId;
    }

    /** Stops the thread, commits consumed offsets and closes the Kafka consumer. Idempotent. */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            running = false;
            t = thread;
        }
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        if (t != null) {
            try {
                t.join(15_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (t.isAlive()) {
                log.warn("Feedback consumer thread {} did not stop in time", t.getName());
            }
        }
        counts.close();
    }

    // ---------------------------------------------------------------------------------- consumer thread

    private void run() {
        KafkaConsumer<String, byte[]> c;
        try {
            c = new KafkaConsumer<>(props);
        } catch (RuntimeException e) {
            log.error("Cannot create the Kafka consumer for group {}: {}", groupId, e.toString());
            return;
        }
        consumer = c;
        KafkaClientMeters clientMeters = null;
        try {
            clientMeters = counts.clientMeters(c);
            c.subscribe(topics, new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    log.debug("Group {} revoked {}", groupId, partitions);
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    assignment = Set.copyOf(c.assignment());
                    log.info("Feedback consumer (group {}) assigned {}", groupId, assignment);
                    if (!assignment.isEmpty()) {
                        assigned.countDown();
                    }
                }
            });
            log.info("Feedback consumer (group {}) subscribed to {} at {}", groupId, topics, config.bootstrapServers());
            long pollFailures = 0;
            while (running) {
                ConsumerRecords<String, byte[]> records;
                try {
                    records = c.poll(pollTimeout);
                    pollFailures = 0;
                } catch (WakeupException e) {
                    continue; // close() or a spurious wakeup: re-check running
                } catch (KafkaException e) {
                    if (pollFailures++ == 0) {
                        log.warn("Feedback consumer (group {}) poll failed; retrying: {}", groupId, e.toString());
                    }
                    sleepQuietly(Math.min(5_000, 200 * pollFailures));
                    continue;
                }
                for (ConsumerRecord<String, byte[]> record : records) {
                    handle(record);
                }
                updateLag(c);
            }
            try {
                c.commitSync(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                log.debug("Final offset commit failed: {}", e.toString());
            }
        } catch (RuntimeException e) {
            log.error("Feedback consumer (group {}) stopped on an unexpected error", groupId, e);
        } finally {
            if (clientMeters != null) {
                clientMeters.close();
            }
            try {
                c.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
            } catch (RuntimeException e) {
                log.debug("Error closing the Kafka consumer: {}", e.toString());
            }
            consumer = null;
            log.info("Feedback consumer (group {}) stopped", groupId);
        }
    }

    private void handle(ConsumerRecord<String, byte[]> record) {
        boolean isSample = record.topic().equals(config.samplesTopic());
        Object decoded;
        try {
            decoded = isSample ? SampleCodec.decode(record.value()) : FeedbackJson.decode(record.value());
        } catch (MalformedRecordException e) {
            counts.malformed(e.kind());
            if (loggedKinds.add(e.kind())) {
                log.warn("Skipping malformed record ({}) at {}-{}@{}: {} (further records of this kind are counted "
                        + "in {}, not logged)", e.kind().tag(), record.topic(), record.partition(), record.offset(),
                        e.getMessage(), TelemetryMetrics.CONSUMER_MALFORMED);
            } else {
                log.debug("Skipping malformed record ({}) at {}-{}@{}: {}", e.kind().tag(), record.topic(),
                        record.partition(), record.offset(), e.getMessage());
            }
            return;
        }
        try {
            if (isSample) {
                counts.sample();
                listener.onSample((TrainingSample) decoded);
            } else {
                counts.event();
                listener.onEvent((FeedbackEvent) decoded);
            }
        } catch (RuntimeException e) {
            if (counts.listenerError() == 1) {
                log.warn("Feedback listener threw on {}-{}@{}; the record is skipped (further errors at debug)",
                        record.topic(), record.partition(), record.offset(), e);
            } else {
                log.debug("Feedback listener threw on {}-{}@{}: {}", record.topic(), record.partition(),
                        record.offset(), e.toString());
            }
        }
    }

    private void updateLag(KafkaConsumer<String, byte[]> c) {
        Set<TopicPartition> parts = c.assignment();
        long total = 0;
        List<TopicPartition> unknown = new ArrayList<>();
        for (TopicPartition tp : parts) {
            OptionalLong l = c.currentLag(tp);
            if (l.isPresent()) {
                total += Math.max(0, l.getAsLong());
            } else {
                unknown.add(tp);
            }
        }
        if (!unknown.isEmpty()) {
            long now = System.nanoTime();
            if (now - lastEndOffsetsQuery < END_OFFSETS_REFRESH_NANOS) {
                return; // keep the last value until the end offsets can be asked again
            }
            lastEndOffsetsQuery = now;
            try {
                Map<TopicPartition, Long> ends = c.endOffsets(unknown, Duration.ofMillis(500));
                for (TopicPartition tp : unknown) {
                    Long end = ends.get(tp);
                    if (end != null) {
                        total += Math.max(0, end - c.position(tp, Duration.ofMillis(500)));
                    }
                }
            } catch (WakeupException e) {
                return;
            } catch (KafkaException e) {
                log.debug("Cannot compute consumer lag now: {}", e.toString());
                return;
            }
        }
        lag = total;
    }

    static Properties consumerProperties(TelemetryConfig config, String groupId, boolean fromBeginning) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG,
                "specserve-feedback-consumer-" + config.replicaId() + "-" + SEQ.incrementAndGet());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, fromBeginning ? "earliest" : "latest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "true");
        p.put(ConsumerConfig.AUTO_COMMIT_INTERVAL_MS_CONFIG, "1000");
        p.put(ConsumerConfig.RECONNECT_BACKOFF_MS_CONFIG, "50");
        p.put(ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "1000");
        p.put(ConsumerConfig.RETRY_BACKOFF_MAX_MS_CONFIG, "1000");
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        p.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, "30000");
        // fetch what lingering producers batch, not each record as it lands (see FeedbackProducerConfig)
        p.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, "16384");
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "100");
        p.putAll(config.clientPropertiesFor("consumer"));
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return p;
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Builder of {@link FeedbackConsumer}. */
    public static final class Builder {
        private final TelemetryConfig config;
        private final MeterRegistry registry;
        private String groupId = "specserve-adaptation";
        private FeedbackListener listener;
        private boolean feedback = true;
        private boolean samples = true;
        private boolean fromBeginning = true;
        private Duration pollTimeout = Duration.ofMillis(200);

        private Builder(TelemetryConfig config, MeterRegistry registry) {
            this.config = Objects.requireNonNull(config, "config");
            this.registry = Objects.requireNonNull(registry, "registry");
        }

        /** Consumer group id (default {@code specserve-adaptation}). */
        public Builder groupId(String v) { this.groupId = v; return this; }
        public Builder listener(FeedbackListener v) { this.listener = v; return this; }
        /** Whether to read the feedback topic (default true). */
        public Builder feedback(boolean v) { this.feedback = v; return this; }
        /** Whether to read the samples topic (default true). */
        public Builder samples(boolean v) { this.samples = v; return this; }
        /** Where a group without committed offsets starts: earliest (default) or latest. */
        public Builder fromBeginning(boolean v) { this.fromBeginning = v; return this; }
        public Builder pollTimeout(Duration v) { this.pollTimeout = Objects.requireNonNull(v); return this; }

        public FeedbackConsumer build() {
            return new FeedbackConsumer(this);
        }
    }
}
