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
 * @param security  model roots, CORS origins and bridge limits (see SECURITY.md)
 * @param maxModelLen  context served per request, 0 for the model's own ({@code max_model_len})
 * @param servedModelNames  the names requests may give as {@code model} ({@code served_model_name}); empty: the manifest's
 * @param toolCallParser  the model's tool-call syntax for {@code tool_choice: "auto"} ({@code tool_call_parser})
 * @param accessLog  one log line per HTTP request ({@code access_log})
 * @param logStatsIntervalS  seconds between the engine's load lines, 0 none ({@code log_stats_interval_s})
 */
public record ServerConfig(String httpHost, int httpPort, String bridgeHost, int bridgePort, int maxBatch,
                           int queueCapacity, int maxTokensLimit, String strategy, long requestTimeoutMs,
                           long prefixCacheBytes, int prefillChunkTokens, boolean prefillOverlap,
                           boolean lookupCorpus, long streamConsumerTimeoutMs, String adminToken,
                           String kafkaBootstrap, Path models, String device, String drafterPrecision, int threads,
                           int prefillThreads, int maxModelLen, java.util.List<String> servedModelNames,
                           String toolCallParser, Adaptation adaptation, Cluster cluster, Security security,
                           int shutdownDrainS, boolean accessLog, int logStatsIntervalS) {

    public ServerConfig {
        servedModelNames = java.util.List.copyOf(servedModelNames);
    }

    /** The names the APIs serve the model under: {@code served_model_name}, or else {@code manifestName}. */
    public java.util.List<String> servedModelNames(String manifestName) {
        return servedModelNames.isEmpty() ? java.util.List.of(manifestName) : servedModelNames;
    }

    /** The online adaptation loop's settings, and whether this process runs it ({@link AdaptationMode}). */
    public record Adaptation(int epochSeconds, int horizonSeconds, double rollbackMargin, int rollbackWindowRounds,
                             int trainingThreads, AdaptationMode mode) {
        /** Adapting locally. */
        public Adaptation(int epochSeconds, int horizonSeconds, double rollbackMargin, int rollbackWindowRounds,
                          int trainingThreads) {
            this(epochSeconds, horizonSeconds, rollbackMargin, rollbackWindowRounds, trainingThreads,
                    AdaptationMode.LOCAL);
        }

        /** Adapting locally, with one training thread. */
        public Adaptation(int epochSeconds, int horizonSeconds, double rollbackMargin, int rollbackWindowRounds) {
            this(epochSeconds, horizonSeconds, rollbackMargin, rollbackWindowRounds, 1);
        }
    }

    /**
     * Clustered event bus settings.
     *
     * @param members comma-separated host[:port] for TCP-IP discovery, or {@code multicast}
     * @param admin   serve {@code specserve.admin} cluster-wide instead of to this replica only
     */
    public record Cluster(boolean enabled, String name, String host, int port, int busPort, String members,
                          boolean admin) {
        public boolean multicast() {
            return "multicast".equalsIgnoreCase(members.trim());
        }
    }

    /**
     * Exposure settings.
     *
     * @param modelRoots  directories admin {@code load} may open drafter files from; empty means the models directory
     * @param corsOrigins  browser origins allowed by CORS; empty means no CORS headers at all
     * @param bridgeMaxFrameBytes  largest TCP-bridge frame accepted before the connection is closed
     * @param apiKeys  bearer keys any one of which opens /v1/*; empty means /v1/* needs none
     * @param allowedHosts  Host header names the HTTP API answers; empty means the default for {@code http_host}
     * @param httpIdleTimeoutS  seconds of silence after which an HTTP connection is closed; 0 never
     * @param httpRequestReadTimeoutS  seconds a request's headers and body may take to arrive, and a kept-alive
     *                                 connection may wait for its next request
     * @param tlsCert  PEM certificate chain the HTTP API and the bridge serve TLS with, or null for plain HTTP and TCP
     * @param tlsKey   its PEM private key; given exactly when {@code tlsCert} is
     */
    public record Security(java.util.List<Path> modelRoots, java.util.List<String> corsOrigins, int bridgeMaxFrameBytes,
                           java.util.List<String> apiKeys, java.util.List<String> allowedHosts, int httpIdleTimeoutS,
                           int httpRequestReadTimeoutS, Path tlsCert, Path tlsKey) {
        public Security {
            modelRoots = java.util.List.copyOf(modelRoots);
            corsOrigins = java.util.List.copyOf(corsOrigins);
            apiKeys = java.util.List.copyOf(apiKeys);
            allowedHosts = java.util.List.copyOf(allowedHosts);
            TlsFiles.check(tlsCert, tlsKey);
        }

        public boolean tls() {
            return tlsCert != null;
        }

        /** Keys masked: the record's generated toString would print them. */
        @Override
        public String toString() {
            return "Security[apiKeys=" + (apiKeys.isEmpty() ? "unset" : apiKeys.size() + " x ***") + ", allowedHosts="
                    + allowedHosts + ", corsOrigins=" + corsOrigins + (tls() ? ", tls=" + tlsCert : "") + "]";
        }
    }

    /** The directories admin {@code load} may open files from: model_roots, or else the models directory. */
    public java.util.List<Path> effectiveModelRoots() {
        if (!security.modelRoots().isEmpty()) {
            return security.modelRoots();
        }
        return java.util.List.of(models != null ? models : dev.specserve.runtime.SpecserveHome.demoModels());
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
                prefixCacheBytes, d.prefixBlockTokens(), prefillChunkTokens, prefillOverlap);
    }

    /** Threads prefill chunks run on: prefill_threads, or threads when prefill_overlap runs them beside the rounds. */
    public int effectivePrefillThreads() {
        return prefillOverlap ? threads : prefillThreads;
    }

    /** Drafting settings for the engine: the defaults, with the lookup corpus on or off. */
    public dev.specserve.drafters.DrafterConfig toDrafterConfig() {
        var d = dev.specserve.drafters.DrafterConfig.defaults();
        return d.withSuffix(d.suffix().withCorpus(lookupCorpus));
    }

    /** Every setting by its file key, as resolved, secrets masked ({@link EffectiveSettings}). */
    public java.util.Map<String, Object> settings() {
        return EffectiveSettings.of(this);
    }

    /** This config with secrets masked, for logs. */
    @Override
    public String toString() {
        return "ServerConfig" + settings();
    }
}
