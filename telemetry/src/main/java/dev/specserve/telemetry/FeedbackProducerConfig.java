package dev.specserve.telemetry;

import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** The settings of the feedback publisher's Kafka producer: ours first, then the user's producer overrides. */
final class FeedbackProducerConfig {

    private FeedbackProducerConfig() {
    }

    static Properties properties(TelemetryConfig config) {
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
        // Round events are small (a few hundred bytes) and arrive every few ms per sequence; the bandit decides on
        // seconds. Fifty ms of lingering packs dozens into one request, so the broker and the consumers handle a
        // request per batch rather than per round, which on a small machine competes with serving for its cores.
        p.put(ProducerConfig.LINGER_MS_CONFIG, "50");
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
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(2 * InFlight.MAX_BYTES + 8L * 1024 * 1024));
        p.putAll(config.clientPropertiesFor("producer"));
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return p;
    }

    /** {@code max.request.size} of {@code p}, or the Kafka default (1 MiB) when unset or not a number. */
    static int maxRequestSize(Properties p) {
        Object v = p.get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
        if (v == null) {
            return 1024 * 1024;
        }
        try {
            return Integer.parseInt(v.toString().trim());
        } catch (NumberFormatException e) {
            return 1024 * 1024;
        }
    }
}
