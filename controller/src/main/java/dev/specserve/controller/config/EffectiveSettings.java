package dev.specserve.controller.config;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A {@link ServerConfig} as its settings: each {@link ConfigKey}'s file key, in table order, with the value it
 * resolved to (null where unset, as a config file would leave it; lists as lists) and secrets masked as
 * {@code "***"}. What {@code GET /admin/config} answers and the startup log prints; a key added to
 * {@link ConfigKey} without a value here does not compile (the switch is exhaustive).
 */
final class EffectiveSettings {
    private EffectiveSettings() {}

    static Map<String, Object> of(ServerConfig c) {
        Map<String, Object> m = new LinkedHashMap<>(); // keeps null values, unlike Map.of
        for (ConfigKey k : ConfigKey.values()) {
            m.put(k.key(), switch (k) {
                case HTTP_HOST -> c.httpHost();
                case HTTP_PORT -> c.httpPort();
                case BRIDGE_HOST -> c.bridgeHost();
                case BRIDGE_PORT -> c.bridgePort();
                case MAX_BATCH -> c.maxBatch();
                case QUEUE_CAPACITY -> c.queueCapacity();
                case MAX_TOKENS_LIMIT -> c.maxTokensLimit();
                case MAX_MODEL_LEN -> c.maxModelLen();
                case STRATEGY -> c.strategy();
                case REQUEST_TIMEOUT_MS -> c.requestTimeoutMs();
                case PREFIX_CACHE_BYTES -> c.prefixCacheBytes();
                case PREFILL_CHUNK_TOKENS -> c.prefillChunkTokens();
                case PREFILL_OVERLAP -> c.prefillOverlap();
                case LOOKUP_CORPUS -> c.lookupCorpus();
                case STREAM_CONSUMER_TIMEOUT_MS -> c.streamConsumerTimeoutMs();
                case SHUTDOWN_DRAIN_S -> c.shutdownDrainS();
                case ACCESS_LOG -> c.accessLog();
                case LOG_STATS_INTERVAL_S -> c.logStatsIntervalS();
                case BRIDGE_MAX_FRAME_BYTES -> c.security().bridgeMaxFrameBytes();
                case ADMIN_TOKEN -> c.adminToken() == null ? null : "***";
                case API_KEY -> c.security().apiKeys().isEmpty() ? null : c.security().apiKeys().stream().map(key -> "***").toList();
                case ALLOWED_HOSTS -> c.security().allowedHosts().isEmpty() ? null : c.security().allowedHosts();
                case HTTP_IDLE_TIMEOUT_S -> c.security().httpIdleTimeoutS();
                case HTTP_REQUEST_READ_TIMEOUT_S -> c.security().httpRequestReadTimeoutS();
                case MODEL_ROOTS -> c.effectiveModelRoots().stream().map(Path::toString).toList();
                case CORS_ORIGINS -> c.security().corsOrigins();
                case TLS_CERT_FILE -> c.security().tlsCert() == null ? null : c.security().tlsCert().toString();
                case TLS_KEY_FILE -> c.security().tlsKey() == null ? null : c.security().tlsKey().toString();
                case KAFKA_BOOTSTRAP -> c.kafkaBootstrap();
                case ADAPTATION -> c.adaptation().mode().name().toLowerCase(Locale.ROOT);
                case ADAPTATION_EPOCH_S -> c.adaptation().epochSeconds();
                case ADAPTATION_HORIZON_S -> c.adaptation().horizonSeconds();
                case ADAPTATION_TRAINING_THREADS -> c.adaptation().trainingThreads();
                case ROLLBACK_MARGIN -> c.adaptation().rollbackMargin();
                case ROLLBACK_WINDOW_ROUNDS -> c.adaptation().rollbackWindowRounds();
                case MODELS -> c.models() == null ? null : c.models().toString();
                case SERVED_MODEL_NAME -> c.servedModelNames().isEmpty() ? null : c.servedModelNames();
                case TOOL_CALL_PARSER -> c.toolCallParser();
                case DEVICE -> c.device();
                case DRAFTER_PRECISION -> c.drafterPrecision();
                case THREADS -> c.threads();
                case PREFILL_THREADS -> c.prefillThreads();
                case CLUSTER -> c.cluster().enabled();
                case CLUSTER_NAME -> c.cluster().name();
                case CLUSTER_HOST -> c.cluster().host();
                case CLUSTER_PORT -> c.cluster().port();
                case CLUSTER_BUS_PORT -> c.cluster().busPort();
                case CLUSTER_MEMBERS -> c.cluster().members();
                case CLUSTER_ADMIN -> c.cluster().admin();
            });
        }
        return m;
    }
}
