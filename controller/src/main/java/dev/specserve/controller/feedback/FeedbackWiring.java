package dev.specserve.controller.feedback;

import dev.specserve.runtime.SpecserveHome;
import dev.specserve.telemetry.EmbeddedKafka;
import dev.specserve.telemetry.FeedbackPublisher;
import dev.specserve.telemetry.TelemetryConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where feedback goes: an external Kafka cluster when {@code kafka_bootstrap} names one, the in-process KRaft
 * broker when it is unset or {@code embedded}, nowhere when it is {@code none}. Kafka client settings
 * (SASL/SSL) pass through from environment variables {@code SPECSERVE_KAFKA_<PROPERTY>}, e.g.
 * {@code SPECSERVE_KAFKA_SECURITY_PROTOCOL=SASL_SSL} becomes {@code security.protocol}.
 */
public final class FeedbackWiring implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FeedbackWiring.class);

    private final EmbeddedKafka embedded;
    private final FeedbackPublisher publisher;
    private final String replicaId;

    private FeedbackWiring(EmbeddedKafka embedded, FeedbackPublisher publisher, String replicaId) {
        this.embedded = embedded;
        this.publisher = publisher;
        this.replicaId = replicaId;
    }

    public static FeedbackWiring start(String kafkaBootstrap, Map<String, String> env, MeterRegistry registry) {
        String replica = replicaId(env);
        if (off(kafkaBootstrap)) {
            LOG.info("feedback publishing disabled (kafka_bootstrap=none)");
            return new FeedbackWiring(null, null, replica);
        }
        EmbeddedKafka embedded = null;
        String bootstrap = kafkaBootstrap;
        if (!names(bootstrap)) {
            long t0 = System.nanoTime();
            LOG.info("starting the embedded Kafka (KRaft) broker, data in {} (SPECSERVE_DATA; kept across restarts); "
                    + "this takes about 10 s (--kafka-bootstrap HOST:PORT uses a running cluster, none turns feedback "
                    + "off)", SpecserveHome.dataDir().resolve("kafka"));
            // no hook of its own: close() stops it after the clients, from the server's one shutdown sequence
            embedded = EmbeddedKafka.startIn(SpecserveHome.dataDir().resolve("kafka"), false);
            bootstrap = embedded.bootstrapServers();
            LOG.info("embedded Kafka (KRaft) broker on {} in {} ms, data in {}", bootstrap,
                    (System.nanoTime() - t0) / 1_000_000, SpecserveHome.dataDir().resolve("kafka"));
        }
        Map<String, String> props = clientProperties(env);
        FeedbackPublisher publisher = new FeedbackPublisher(TelemetryConfig.builder(bootstrap).replicaId(replica)
                .clientProperties(props).build(), registry);
        LOG.info("feedback to Kafka {} as replica '{}'{}", bootstrap, replica,
                props.isEmpty() ? "" : " with client properties " + props.keySet());
        return new FeedbackWiring(embedded, publisher, replica);
    }

    /** Whether a {@code kafka_bootstrap} setting names a cluster: not unset, blank, embedded, none or off. */
    public static boolean names(String kafkaBootstrap) {
        return kafkaBootstrap != null && !kafkaBootstrap.isBlank() && !"embedded".equalsIgnoreCase(kafkaBootstrap)
                && !off(kafkaBootstrap);
    }

    private static boolean off(String kafkaBootstrap) {
        return "none".equalsIgnoreCase(kafkaBootstrap) || "off".equalsIgnoreCase(kafkaBootstrap);
    }

    /** SPECSERVE_KAFKA_SECURITY_PROTOCOL=SASL_SSL -> security.protocol=SASL_SSL (values are never logged). */
    public static Map<String, String> clientProperties(Map<String, String> env) {
        Map<String, String> props = new LinkedHashMap<>();
        env.forEach((k, v) -> {
            if (k.startsWith("SPECSERVE_KAFKA_") && !k.equals("SPECSERVE_KAFKA_BOOTSTRAP")) {
                props.put(k.substring("SPECSERVE_KAFKA_".length()).toLowerCase(Locale.ROOT).replace('_', '.'), v);
            }
        });
        return props;
    }

    static String replicaId(Map<String, String> env) {
        String id = env.get("SPECSERVE_REPLICA_ID");
        return id != null && !id.isBlank() ? id : ManagementFactory.getRuntimeMXBean().getName();
    }

    public boolean enabled() {
        return publisher != null;
    }

    public FeedbackPublisher publisher() {
        return publisher;
    }

    public String replicaId() {
        return replicaId;
    }

    public String bootstrapServers() {
        return publisher == null ? null : publisher.config().bootstrapServers();
    }

    /** Flushes and closes the publisher, then stops the embedded broker (if any): clients before the broker. */
    @Override
    public void close() {
        if (publisher != null) {
            publisher.close();
            LOG.info("shutdown: feedback publisher flushed and closed");
        }
        if (embedded != null) {
            embedded.close();
            LOG.info("shutdown: embedded Kafka broker stopped");
        }
    }
}
