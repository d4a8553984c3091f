package dev.specserve.telemetry;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the telemetry topics when absent: the feedback and samples topics (normal, delete policy)
 * and the drafter-updates topic ({@code cleanup.policy=compact}, so the latest update per drafter key
 * is retained), with the configured partitions and replication factor. Existing topics are left as
 * they are; an updates topic that is not compacted is reported with a warning.
 *
 * <p>Methods block up to the given timeout and throw Kafka's unchecked exceptions
 * ({@link TimeoutException} when the cluster cannot be reached; check
 * {@link org.apache.kafka.common.errors.RetriableException} to decide whether to retry).
 */
public final class TopicAdmin implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TopicAdmin.class);

    private final TelemetryConfig config;
    private final Admin admin;

    public TopicAdmin(TelemetryConfig config) {
        this.config = config;
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "specserve-telemetry-admin-" + config.replicaId());
        props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "1000");
        props.put(AdminClientConfig.RETRY_BACKOFF_MAX_MS_CONFIG, "1000");
        props.putAll(config.clientPropertiesFor("admin"));
        this.admin = Admin.create(props);
    }

    /** One-shot convenience: ensures the telemetry topics and closes the admin client. */
    public static Set<String> ensureTopics(TelemetryConfig config, Duration timeout) {
        try (TopicAdmin admin = new TopicAdmin(config)) {
            return admin.ensureTopics(timeout);
        }
    }

    /**
     * Bounds of the feedback topic this creates: one event per sequence per round adds up (gigabytes a day), and
     * Kafka's default keeps seven days with no size cap. Three days or 2 GiB a partition, whichever comes first;
     * an operator keeps more by altering the topic ({@code kafka-configs.sh --alter}).
     */
    static final Map<String, String> FEEDBACK_BOUNDS = Map.of(
            TopicConfig.RETENTION_MS_CONFIG, Long.toString(java.util.concurrent.TimeUnit.DAYS.toMillis(3)),
            TopicConfig.RETENTION_BYTES_CONFIG, Long.toString(2L << 30),
            TopicConfig.SEGMENT_BYTES_CONFIG, Integer.toString(256 << 20),
            // Kafka deletes whole segments: one must roll well within the retention for it to hold
            TopicConfig.SEGMENT_MS_CONFIG, Long.toString(java.util.concurrent.TimeUnit.HOURS.toMillis(6)));
    /** Training samples (hidden states, hardly compressible) are read within minutes: one hour or 1 GiB a partition. */
    static final Map<String, String> SAMPLES_BOUNDS = Map.of(
            TopicConfig.RETENTION_MS_CONFIG, Long.toString(java.util.concurrent.TimeUnit.HOURS.toMillis(1)),
            TopicConfig.RETENTION_BYTES_CONFIG, Long.toString(1L << 30),
            TopicConfig.SEGMENT_BYTES_CONFIG, Integer.toString(128 << 20),
            TopicConfig.SEGMENT_MS_CONFIG, Long.toString(java.util.concurrent.TimeUnit.MINUTES.toMillis(15)));
    /**
     * Drafter updates, compacted per key; segments roll hourly so superseded versions (each record carries a whole
     * adapter, and every process replays the topic at start-up) are compacted away within hours, not a week.
     */
    static final Map<String, String> UPDATES_CONFIG = Map.of(
            TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
            TopicConfig.SEGMENT_MS_CONFIG, Long.toString(java.util.concurrent.TimeUnit.HOURS.toMillis(1)),
            TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_CONFIG, "0.1");

    /** The topics this module uses, as they would be created. */
    public static List<NewTopic> telemetryTopics(TelemetryConfig config) {
        short rf = (short) config.replication();
        List<NewTopic> topics = new ArrayList<>();
        topics.add(new NewTopic(config.feedbackTopic(), config.partitions(), rf).configs(FEEDBACK_BOUNDS));
        topics.add(new NewTopic(config.samplesTopic(), config.partitions(), rf).configs(SAMPLES_BOUNDS));
        topics.add(new NewTopic(config.updatesTopic(), config.partitions(), rf).configs(UPDATES_CONFIG));
        return topics;
    }

    /** Ensures the feedback, samples and updates topics; returns the names it created. */
    public Set<String> ensureTopics(Duration timeout) {
        Set<String> created = ensureTopics(telemetryTopics(config), timeout);
        checkCompacted(config.updatesTopic(), timeout);
        for (String topic : List.of(config.feedbackTopic(), config.samplesTopic())) {
            if (!created.contains(topic)) {
                checkBounded(topic, timeout);
            }
        }
        return created;
    }

    /** Creates those of {@code topics} that do not exist; returns the names it created. */
    public Set<String> ensureTopics(Collection<NewTopic> topics, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Set<String> existing = get(admin.listTopics(new ListTopicsOptions().listInternal(false)
                .timeoutMs(remainingMs(deadline))).names(), deadline);
        List<NewTopic> missing = new ArrayList<>();
        for (NewTopic t : topics) {
            if (!existing.contains(t.name())) {
                missing.add(t);
            }
        }
        Set<String> created = new LinkedHashSet<>();
        if (missing.isEmpty()) {
            return created;
        }
        CreateTopicsResult result = admin.createTopics(missing, new CreateTopicsOptions().timeoutMs(remainingMs(deadline)));
        for (NewTopic t : missing) {
            try {
                get(result.values().get(t.name()), deadline);
                created.add(t.name());
                log.info("Created topic {} (partitions={}, replication={}, configs={})", t.name(), t.numPartitions(),
                        t.replicationFactor(), t.configs() == null ? Map.of() : t.configs());
            } catch (TopicExistsException e) {
                log.debug("Topic {} was created concurrently", t.name());
            }
        }
        return created;
    }

    /** The partition count of a topic. */
    public int partitions(String topic, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, TopicDescription> d = get(admin.describeTopics(List.of(topic),
                new DescribeTopicsOptions().timeoutMs(remainingMs(deadline))).allTopicNames(), deadline);
        return d.get(topic).partitions().size();
    }

    /** A topic's effective configuration value, or null when unset. */
    public String topicConfig(String topic, String key, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Map<ConfigResource, Config> configs = get(admin.describeConfigs(List.of(res)).all(), deadline);
        ConfigEntry entry = configs.get(res).get(key);
        return entry == null ? null : entry.value();
    }

    /**
     * The cluster's id, once a broker answers: a reachability check that fails in {@code timeout} with
     * {@link TimeoutException} when no broker of the bootstrap list answers (nothing listening, wrong address,
     * a TLS or SASL mismatch), rather than the minutes of reconnect warnings a client would log meanwhile.
     */
    public String clusterId(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        return get(admin.describeCluster(new org.apache.kafka.clients.admin.DescribeClusterOptions()
                .timeoutMs(remainingMs(deadline))).clusterId(), deadline);
    }

    /**
     * Waits up to {@code wait} for a broker of {@code telemetry}'s bootstrap list to answer; none: an
     * {@link IllegalStateException} naming the address and what to check, for a process that has nothing to do
     * without Kafka.
     */
    public static void awaitBroker(TelemetryConfig telemetry, Duration wait) {
        try (TopicAdmin admin = new TopicAdmin(telemetry)) {
            admin.clusterId(wait);
        } catch (KafkaException e) {
            throw new IllegalStateException("no Kafka broker answered at " + telemetry.bootstrapServers() + " within "
                    + wait.toSeconds() + " s (" + e.getMessage() + "): start the cluster the replicas publish to, or "
                    + "correct --kafka-bootstrap / SPECSERVE_KAFKA_BOOTSTRAP and the SPECSERVE_KAFKA_* client settings");
        }
    }

    /** The underlying admin client (owned by this object). */
    public Admin admin() {
        return admin;
    }

    /** An existing topic (an earlier release's, or an operator's) is left as it is, but one kept unbounded is named. */
    private void checkBounded(String topic, Duration timeout) {
        try {
            String bytes = topicConfig(topic, TopicConfig.RETENTION_BYTES_CONFIG, timeout);
            String ms = topicConfig(topic, TopicConfig.RETENTION_MS_CONFIG, timeout);
            if ("-1".equals(bytes) && (ms == null || "-1".equals(ms) || Long.parseLong(ms) > 3 * 86_400_000L)) {
                log.warn("Topic {} exists with retention.ms={} and no retention.bytes: one event per round adds up to "
                        + "gigabytes a day; bound it (kafka-configs.sh --alter --entity-type topics --entity-name {} "
                        + "--add-config retention.bytes=...,retention.ms=...), as topics created now are", topic, ms, topic);
            }
        } catch (KafkaException | NumberFormatException e) {
            log.debug("Could not check the retention of {}: {}", topic, e.toString());
        }
    }

    private void checkCompacted(String topic, Duration timeout) {
        try {
            String policy = topicConfig(topic, TopicConfig.CLEANUP_POLICY_CONFIG, timeout);
            if (policy == null || !policy.contains(TopicConfig.CLEANUP_POLICY_COMPACT)) {
                log.warn("Topic {} exists with cleanup.policy={}, expected compact: old drafter updates "
                        + "will be deleted by retention instead of compacted per key", topic, policy);
            }
        } catch (KafkaException e) {
            log.debug("Could not check cleanup.policy of {}: {}", topic, e.toString());
        }
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(2));
    }

    private static int remainingMs(long deadlineNanos) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime())));
    }

    private static <T> T get(org.apache.kafka.common.KafkaFuture<T> future, long deadlineNanos) {
        try {
            return future.get(Math.max(1, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new TimeoutException("timed out waiting for the Kafka admin operation", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new org.apache.kafka.common.errors.InterruptException(e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof KafkaException ke) {
                throw ke;
            }
            throw new KafkaException(cause);
        }
    }
}
