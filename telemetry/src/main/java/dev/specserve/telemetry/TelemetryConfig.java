package dev.specserve.telemetry;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Configuration of the telemetry producer, consumer and topic admin.
 *
 * <p>{@code clientProperties} are passed through to the Kafka clients (e.g. {@code security.protocol},
 * {@code sasl.mechanism}, {@code sasl.jaas.config}, {@code ssl.truststore.location}) and override the
 * defaults this module sets. A key prefixed {@code producer.}, {@code consumer.} or {@code admin.} applies
 * to that client only, with the prefix stripped (e.g. {@code consumer.max.poll.records=100}).
 *
 * @param bootstrapServers     Kafka bootstrap servers, {@code host:port[,host:port...]}
 * @param feedbackTopic        topic of JSON feedback events
 * @param samplesTopic         topic of binary training samples
 * @param updatesTopic         compacted topic of drafter updates (created by {@link TopicAdmin})
 * @param bufferCapacity       events held in memory while Kafka is slow or down; beyond it the oldest
 *                             are dropped and counted
 * @param sampleFraction       fraction of rounds whose training sample is published, in [0, 1]
 * @param sampleBytesPerSecond cap on encoded sample bytes per second (token bucket, 1 s burst)
 * @param partitions           partitions of created topics
 * @param replication          replication factor of created topics
 * @param replicaId            id of this serving replica (client ids; stamped on events by the caller)
 * @param clientProperties     pass-through Kafka client properties (SASL/SSL, tuning)
 * @param sampleDtype          element type of encoded hidden states
 * @param sampleBufferBytes    encoded sample bytes held in memory; beyond it the oldest are dropped
 * @param ensureTopics         whether the publisher creates missing topics in the background
 * @param closeTimeout         how long {@code close()} waits to flush buffered records
 */
public record TelemetryConfig(
        String bootstrapServers,
        String feedbackTopic,
        String samplesTopic,
        String updatesTopic,
        int bufferCapacity,
        double sampleFraction,
        long sampleBytesPerSecond,
        int partitions,
        int replication,
        String replicaId,
        Map<String, String> clientProperties,
        Dtype sampleDtype,
        long sampleBufferBytes,
        boolean ensureTopics,
        Duration closeTimeout) {

    public static final String DEFAULT_FEEDBACK_TOPIC = "specserve.feedback";
    public static final String DEFAULT_SAMPLES_TOPIC = "specserve.samples";
    public static final String DEFAULT_UPDATES_TOPIC = "specserve.drafter-updates";
    public static final int DEFAULT_BUFFER_CAPACITY = 10_000;
    public static final double DEFAULT_SAMPLE_FRACTION = 1.0;
    public static final long DEFAULT_SAMPLE_BYTES_PER_SECOND = 4L * 1024 * 1024;
    public static final long DEFAULT_SAMPLE_BUFFER_BYTES = 32L * 1024 * 1024;
    public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(5);

    public TelemetryConfig {
        Validation.requireText(bootstrapServers, "bootstrapServers");
        Validation.requireText(feedbackTopic, "feedbackTopic");
        Validation.requireText(samplesTopic, "samplesTopic");
        Validation.requireText(updatesTopic, "updatesTopic");
        if (feedbackTopic.equals(samplesTopic)) {
            throw new IllegalArgumentException("feedbackTopic and samplesTopic must differ");
        }
        if (bufferCapacity < 1) {
            throw new IllegalArgumentException("bufferCapacity must be >= 1, was " + bufferCapacity);
        }
        if (!(sampleFraction >= 0.0 && sampleFraction <= 1.0)) {
            throw new IllegalArgumentException("sampleFraction must be in [0, 1], was " + sampleFraction);
        }
        if (sampleBytesPerSecond < 1) {
            throw new IllegalArgumentException("sampleBytesPerSecond must be >= 1, was " + sampleBytesPerSecond);
        }
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1, was " + partitions);
        }
        if (replication < 1 || replication > Short.MAX_VALUE) {
            throw new IllegalArgumentException("replication must be in [1, 32767], was " + replication);
        }
        Validation.requireText(replicaId, "replicaId");
        clientProperties = clientProperties == null ? Map.of() : Map.copyOf(clientProperties);
        Objects.requireNonNull(sampleDtype, "sampleDtype");
        if (sampleBufferBytes < 1) {
            throw new IllegalArgumentException("sampleBufferBytes must be >= 1, was " + sampleBufferBytes);
        }
        Objects.requireNonNull(closeTimeout, "closeTimeout");
        if (closeTimeout.isNegative()) {
            throw new IllegalArgumentException("closeTimeout must not be negative");
        }
    }

    /** Defaults for everything but the bootstrap servers; replica id "replica-0". */
    public static TelemetryConfig defaults(String bootstrapServers) {
        return builder(bootstrapServers).build();
    }

    public static Builder builder(String bootstrapServers) {
        return new Builder(bootstrapServers);
    }

    public Builder toBuilder() {
        return new Builder(bootstrapServers)
                .feedbackTopic(feedbackTopic).samplesTopic(samplesTopic).updatesTopic(updatesTopic)
                .bufferCapacity(bufferCapacity).sampleFraction(sampleFraction)
                .sampleBytesPerSecond(sampleBytesPerSecond).partitions(partitions).replication(replication)
                .replicaId(replicaId).clientProperties(clientProperties).sampleDtype(sampleDtype)
                .sampleBufferBytes(sampleBufferBytes).ensureTopics(ensureTopics).closeTimeout(closeTimeout);
    }

    /** Like the record's default, but with secret-looking client properties (passwords, JAAS) masked. */
    @Override
    public String toString() {
        Map<String, String> masked = new TreeMap<>();
        clientProperties.forEach((k, v) -> {
            String key = k.toLowerCase(Locale.ROOT);
            boolean secret = key.contains("password") || key.contains("jaas") || key.contains("secret")
                    || key.contains("credential") || key.endsWith(".key") || key.contains("token");
            masked.put(k, secret ? "[hidden]" : v);
        });
        return "TelemetryConfig[bootstrapServers=" + bootstrapServers + ", feedbackTopic=" + feedbackTopic
                + ", samplesTopic=" + samplesTopic + ", updatesTopic=" + updatesTopic
                + ", bufferCapacity=" + bufferCapacity + ", sampleFraction=" + sampleFraction
                + ", sampleBytesPerSecond=" + sampleBytesPerSecond + ", partitions=" + partitions
                + ", replication=" + replication + ", replicaId=" + replicaId + ", clientProperties=" + masked
                + ", sampleDtype=" + sampleDtype + ", sampleBufferBytes=" + sampleBufferBytes
                + ", ensureTopics=" + ensureTopics + ", closeTimeout=" + closeTimeout + "]";
    }

    /** Client properties for one client kind: the shared ones, then the kind's prefixed ones (stripped). */
    Properties clientPropertiesFor(String kind) {
        String prefix = kind.toLowerCase(Locale.ROOT) + ".";
        Properties props = new Properties();
        Map<String, String> sorted = new TreeMap<>(clientProperties);
        sorted.forEach((k, v) -> {
            if (!k.startsWith("producer.") && !k.startsWith("consumer.") && !k.startsWith("admin.")) {
                props.setProperty(k, v);
            }
        });
        sorted.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                props.setProperty(k.substring(prefix.length()), v);
            }
        });
        return props;
    }

    /** Builder of {@link TelemetryConfig}, pre-filled with the defaults. */
    public static final class Builder {
        private String bootstrapServers;
        private String feedbackTopic = DEFAULT_FEEDBACK_TOPIC;
        private String samplesTopic = DEFAULT_SAMPLES_TOPIC;
        private String updatesTopic = DEFAULT_UPDATES_TOPIC;
        private int bufferCapacity = DEFAULT_BUFFER_CAPACITY;
        private double sampleFraction = DEFAULT_SAMPLE_FRACTION;
        private long sampleBytesPerSecond = DEFAULT_SAMPLE_BYTES_PER_SECOND;
        private int partitions = 1;
        private int replication = 1;
        private String replicaId = "replica-0";
        private Map<String, String> clientProperties = Map.of();
        private Dtype sampleDtype = Dtype.FP16;
        private long sampleBufferBytes = DEFAULT_SAMPLE_BUFFER_BYTES;
        private boolean ensureTopics = true;
        private Duration closeTimeout = DEFAULT_CLOSE_TIMEOUT;

        private Builder(String bootstrapServers) {
            this.bootstrapServers = bootstrapServers;
        }

        public Builder bootstrapServers(String v) { this.bootstrapServers = v; return this; }
        public Builder feedbackTopic(String v) { this.feedbackTopic = v; return this; }
        public Builder samplesTopic(String v) { this.samplesTopic = v; return this; }
        public Builder updatesTopic(String v) { this.updatesTopic = v; return this; }
        public Builder bufferCapacity(int v) { this.bufferCapacity = v; return this; }
        public Builder sampleFraction(double v) { this.sampleFraction = v; return this; }
        public Builder sampleBytesPerSecond(long v) { this.sampleBytesPerSecond = v; return this; }
        public Builder partitions(int v) { this.partitions = v; return this; }
        public Builder replication(int v) { this.replication = v; return this; }
        public Builder replicaId(String v) { this.replicaId = v; return this; }
        public Builder clientProperties(Map<String, String> v) { this.clientProperties = v; return this; }
        public Builder sampleDtype(Dtype v) { this.sampleDtype = v; return this; }
        public Builder sampleBufferBytes(long v) { this.sampleBufferBytes = v; return this; }
        public Builder ensureTopics(boolean v) { this.ensureTopics = v; return this; }
        public Builder closeTimeout(Duration v) { this.closeTimeout = v; return this; }

        public TelemetryConfig build() {
            return new TelemetryConfig(bootstrapServers, feedbackTopic, samplesTopic, updatesTopic, bufferCapacity,
                    sampleFraction, sampleBytesPerSecond, partitions, replication, replicaId, clientProperties,
                    sampleDtype, sampleBufferBytes, ensureTopics, closeTimeout);
        }
    }
}
