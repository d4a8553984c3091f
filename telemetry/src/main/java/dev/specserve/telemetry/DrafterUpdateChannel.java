package dev.specserve.telemetry;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fleet mode: the drafter versions a process makes current go to the compacted updates topic (key: drafter id, so
 * one partition orders a drafter's changes), and every process follows the whole topic from the beginning, without
 * a consumer group, so one started later still receives the latest version of every drafter. Malformed records,
 * and records whose handler throws, are skipped and counted.
 */
public final class DrafterUpdateChannel implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DrafterUpdateChannel.class);

    private final TelemetryConfig config;
    private final KafkaProducer<String, byte[]> producer;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread follower;
    private volatile boolean closed;
    private volatile long malformed;
    private volatile long unapplied;
    private final FollowerProgress progress;
    /** How often an idle follower asks the broker for the topic's end, to know it still could read what comes. */
    static final Duration READ_CHECK = Duration.ofSeconds(15);

    /** {@code onUpdate} receives (drafter id, update) on the follower thread, in topic order. */
    public DrafterUpdateChannel(TelemetryConfig config, BiConsumer<String, DrafterUpdate> onUpdate) {
        this(config, onUpdate, READ_CHECK);
    }

    DrafterUpdateChannel(TelemetryConfig config, BiConsumer<String, DrafterUpdate> onUpdate, Duration readCheck) {
        this.config = config;
        this.progress = new FollowerProgress(readCheck);
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "specserve-updates-" + config.replicaId());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "2000");
        // a publish that fails has failed for good: a record left queued would land whenever the broker came back,
        // maybe after the fleet had moved on (publish waits longer than this for the producer's own verdict)
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "7000");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "8000");
        p.putAll(config.clientPropertiesFor("producer"));
        producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "specserve-updates-follower-" + config.replicaId());
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        // only TopicCreator makes the topic: an auto-created one would not be compacted
        c.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        c.putAll(config.clientPropertiesFor("consumer"));
        consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
        follower = new Thread(() -> follow(onUpdate), "specserve-updates-follower");
        follower.setDaemon(true);
        follower.start();
    }

    /** Publishes an accepted update; returns once the broker has it (or throws after a short timeout). */
    public void publish(String drafterId, DrafterUpdate update) {
        try {
            producer.send(new ProducerRecord<>(config.updatesTopic(), drafterId, update.encode()))
                    .get(12, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("could not publish drafter update " + update.version() + ": " + e, e);
        }
    }

    /**
     * Follows the topic from its beginning. A broker that is not up yet (replicas often start before it) or goes
     * away is waited for with back-off, never the end of following: a follower that stopped would serve a stale
     * drafter for the life of the process.
     */
    private void follow(BiConsumer<String, DrafterUpdate> onUpdate) {
        try {
            Map<TopicPartition, Long> end = null;
            long backoffMs = 500;
            while (!closed && end == null) {
                try {
                    end = assignFromBeginning();
                } catch (RetriableException e) {
                    LOG.warn("drafter updates topic {} not reachable yet ({}); retrying in {} ms",
                            config.updatesTopic(), e.toString(), backoffMs);
                }
                if (end == null) {
                    pause(backoffMs);
                    backoffMs = Math.min(backoffMs * 2, 30_000);
                }
            }
            while (!closed) {
                try {
                    pollOnce(end, onUpdate);
                } catch (RetriableException e) {
                    LOG.warn("drafter update follower: {}; retrying", e.toString());
                    pause(1000);
                } catch (org.apache.kafka.common.KafkaException e) {
                    if (e instanceof WakeupException || !skipCorrupt(e)) {
                        throw e;
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            if (!closed) {
                LOG.error("drafter update follower stopped", e);
            }
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    /** The topic's partitions assigned from their beginning, with their end offsets; null while it has none. */
    private Map<TopicPartition, Long> assignFromBeginning() {
        List<TopicPartition> partitions = consumer.partitionsFor(config.updatesTopic(), Duration.ofSeconds(5)).stream()
                .map(info -> new TopicPartition(info.topic(), info.partition())).toList();
        if (partitions.isEmpty()) {
            return null;
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        return consumer.endOffsets(partitions);
    }

    /**
     * Asks the follower to read up to the topic's end as it is now (asked of the broker, so only once it answers);
     * returns a token for {@link #caughtUpWith}. A process that could not publish uses it before publishing late,
     * so it cannot put its old version after a newer one it had not read yet.
     */
    public long requestCatchUp() {
        return progress.requestCatchUp();
    }

    /** Whether the follower has read everything that was on the topic when {@code token} was asked for. */
    public boolean caughtUpWith(long token) {
        return progress.caughtUpWith(token);
    }

    private void pollOnce(Map<TopicPartition, Long> end, BiConsumer<String, DrafterUpdate> onUpdate) {
        if (progress.track(consumer, end)) {
            long records = end.values().stream().mapToLong(Long::longValue).sum();
            if (records > 0) { // what earlier processes published, replayed here (each at DEBUG)
                LOG.info("drafter updates: caught up with {} ({} earlier records read from the beginning)",
                        config.updatesTopic(), records);
            }
        }
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
            try {
                onUpdate.accept(r.key(), DrafterUpdate.decode(r.value()));
            } catch (MalformedRecordException e) {
                malformed++;
                LOG.warn("skipping malformed drafter update at offset {}: {}", r.offset(), e.getMessage());
            } catch (RuntimeException e) { // counted: an old record new code trips on replays at every start
                unapplied++;
                LOG.warn("drafter update at offset {} was not applied: {}", r.offset(), e.toString());
            }
        }
    }

    /**
     * Steps past a record the consumer cannot read (a failed CRC: a damaged log segment), counting it as malformed:
     * stopping there left this process on a stale drafter for its life. False when the error names no partition.
     */
    private boolean skipCorrupt(org.apache.kafka.common.KafkaException e) {
        for (TopicPartition tp : consumer.assignment()) {
            if (String.valueOf(e.getMessage()).contains("from " + tp + ".")) { // Kafka's words: "...record from t-0. If"
                long offset = consumer.position(tp);
                malformed++;
                LOG.error("skipping an unreadable drafter update at offset {} of {} (its log segment is damaged): {}",
                        offset, tp, e.getCause() == null ? e.getMessage() : e.getCause().getMessage());
                consumer.seek(tp, offset + 1);
                return true;
            }
        }
        return false;
    }

    /** Sleeps {@code ms} in slices, returning early once closed. */
    private void pause(long ms) {
        long until = System.nanoTime() + ms * 1_000_000;
        while (!closed && System.nanoTime() < until) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Waits until every record that was on the topic when following began has been handed over: a process that
     * numbers new versions must have seen the fleet's before it does.
     */
    public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        return progress.awaitCaughtUp(timeout);
    }

    /** True once every record that was on the topic when following began has been handed over. */
    public boolean caughtUp() {
        return progress.caughtUp();
    }

    /**
     * Caught up, and still reading: the broker answered the latest read check (every {@link #READ_CHECK}) and what
     * the check before found on the topic has been handed over. False while the broker is unreachable.
     */
    public boolean reading() {
        return progress.reading();
    }

    public long malformed() {
        return malformed;
    }

    /** Records that decoded but whose handler threw: read, and not applied. */
    public long unapplied() {
        return unapplied;
    }

    @Override
    public void close() {
        closed = true;
        consumer.wakeup();
        try {
            follower.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(2));
    }
}
