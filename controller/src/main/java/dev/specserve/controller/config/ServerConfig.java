package dev.specserve.controller.config;

import dev.specserve.runtime.engine.EngineConfig;
import java.nio.file.Path;

/**
 * The effective settings of {@code specserve serve}, as {@link ConfigLoader} resolved them (see {@link ConfigKey}
 * for each field's key, environment variable, flag and default).
 *
 * @param models  model directory, or null for the bundled demo models
 * @param adminToken  bearer token for /admin/*, or null (admin routes off)
 * @param kafkaBootstrap  Kafka bootstrap servers for feedback, or null (no feedback publishing)
 */
public record ServerConfig(String httpHost, int httpPort, String bridgeHost, int bridgePort, int maxBatch,
                           int queueCapacity, int maxTokensLimit, String strategy, long requestTimeoutMs,
                           long prefixCacheBytes, long streamConsumerTimeoutMs, String adminToken,
                           String kafkaBootstrap, Path models, String device, int threads, Adaptation adaptation) {

    /** The online adaptation loop's settings. */
    public record Adaptation(int epochSeconds, int horizonSeconds, double rollbackMargin, int rollbackWindowRounds,
                             int trainingThreads) {
        /** With one training thread. */
        public Adaptation(int epochSeconds, int horizonSeconds, double rollbackMargin, int rollbackWindowRounds) {
            this(epochSeconds, horizonSeconds, rollbackMargin, rollbackWindowRounds, 1);
        }
    }

    /** Every setting at its default. */
    public static ServerConfig defaults() {
        return ConfigLoader.load(null, java.util.Map.of(), java.util.Map.of());
    }

    public boolean bridgeEnabled() {
        return bridgePort != 0;
    }

    /** Scheduler settings for the engine; draft budget and prefix granularity stay at the engine defaults. */
    public EngineConfig toEngineConfig() {
        EngineConfig d = EngineConfig.defaults();
        return new EngineConfig(maxBatch, queueCapacity, maxTokensLimit, strategy, d.defaultBudget(), requestTimeoutMs,
                prefixCacheBytes, d.prefixBlockTokens());
    }

    /** This config with secrets masked, for logs and /admin/config. */
    @Override
    public String toString() {
        return "ServerConfig[http=" + httpHost + ":" + httpPort + ", bridge=" + (bridgeEnabled() ? bridgeHost + ":" + bridgePort : "off")
                + ", maxBatch=" + maxBatch + ", queueCapacity=" + queueCapacity + ", maxTokensLimit=" + maxTokensLimit
                + ", strategy=" + strategy + ", requestTimeoutMs=" + requestTimeoutMs + ", prefixCacheBytes=" + prefixCacheBytes
                + ", streamConsumerTimeoutMs=" + streamConsumerTimeoutMs + ", adminToken=" + (adminToken == null ? "unset" : "***")
                + ", kafkaBootstrap=" + (kafkaBootstrap == null ? "unset" : kafkaBootstrap) + ", models="
                + (models == null ? "demo" : models) + ", device=" + device + ", threads=" + threads + ", adaptation=" + adaptation + "]";
    }
}
