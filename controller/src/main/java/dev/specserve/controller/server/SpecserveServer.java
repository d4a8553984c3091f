package dev.specserve.controller.server;

import dev.specserve.controller.config.ServerConfig;
import dev.specserve.runtime.engine.Engine;
import dev.specserve.runtime.engine.EngineListener;
import dev.specserve.runtime.engine.GenerationService;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import dev.specserve.controller.cluster.ClusterModels;
import dev.specserve.controller.cluster.ClusterSupport;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The serving layer around one engine: a Vert.x instance (with Micrometer metrics into a Prometheus registry),
 * the {@link HttpApiVerticle}, the {@link EventBusApiVerticle} and, when {@code bridge_port} is not 0, the
 * {@link TcpBridgeVerticle}; plus the {@link MetricsRecorder} registered on the engine.
 *
 * <p>Threading: the verticles run on event loops and never block; the engine runs ORT on its own thread and its
 * observer callbacks are moved onto the verticle's context ({@link ContextObserver}). The engine is the caller's:
 * {@link #close()} stops serving (servers closed, open streams cancelled) but leaves the engine to its owner.
 */
public final class SpecserveServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SpecserveServer.class);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration CLUSTER_MODELS_EVERY = Duration.ofSeconds(30);

    private final Vertx vertx;
    private final PrometheusMeterRegistry registry;
    private final MetricsRecorder metrics;
    private final HttpApiVerticle http;
    private final EventBusApiVerticle eventBus;
    private final AdminGate admin;
    private final ServerConfig config;
    private volatile ClusterModels clusterModels;
    private volatile boolean closed;

    private SpecserveServer(Vertx vertx, PrometheusMeterRegistry registry, MetricsRecorder metrics, HttpApiVerticle http,
                            EventBusApiVerticle eventBus, AdminGate admin, ServerConfig config) {
        this.admin = admin;
        this.vertx = vertx;
        this.registry = registry;
        this.metrics = metrics;
        this.http = http;
        this.eventBus = eventBus;
        this.config = config;
    }

    /** Starts serving the engine (which reports its own refusals to listeners), without chat completions. */
    public static SpecserveServer start(ServerConfig config, Engine engine) {
        return start(config, engine, ChatTemplate.none("no chat template was loaded for this model; use "
                + "/v1/completions with a prompt"));
    }

    /** Starts serving the engine, with {@code chatTemplate} formatting the messages of chat completions. */
    public static SpecserveServer start(ServerConfig config, Engine engine, ChatTemplate chatTemplate) {
        return start(config, engine, engine::addListener, true, chatTemplate, s -> {});
    }

    /**
     * As {@link #start(ServerConfig, Engine, ChatTemplate)}, running {@code beforeListening} on the server (its
     * registry and admin gate exist) before any API listens: what every request must find in place, such as the
     * feedback path, is wired there, so no request is served without it.
     */
    public static SpecserveServer start(ServerConfig config, Engine engine, ChatTemplate chatTemplate,
                                        Consumer<SpecserveServer> beforeListening) {
        return start(config, engine, engine::addListener, true, chatTemplate, beforeListening);
    }

    /**
     * Starts serving {@code engine} and waits until every listener is bound.
     *
     * @param addListener registers an {@link EngineListener} on the engine (e.g. {@code engine::addListener})
     * @param engineCountsRejections true when the engine reports refusals of {@code submit} via
     *                               {@code EngineListener.onRejected}
     * @param chatTemplate formats the messages of {@code /v1/chat/completions} ({@link ChatTemplate#none} refuses)
     * @throws IllegalStateException when a port cannot be bound (the message names it)
     */
    public static SpecserveServer start(ServerConfig config, GenerationService engine,
                                        Consumer<EngineListener> addListener, boolean engineCountsRejections,
                                        ChatTemplate chatTemplate) {
        return start(config, engine, addListener, engineCountsRejections, chatTemplate, s -> {});
    }

    private static SpecserveServer start(ServerConfig config, GenerationService engine,
                                         Consumer<EngineListener> addListener, boolean engineCountsRejections,
                                         ChatTemplate chatTemplate, Consumer<SpecserveServer> beforeListening) {
        PrometheusMeterRegistry registry = ProcessMeters.registry();
        // route: which API an HTTP request served (the route's template, bounded), so probes and scrapes do not mix
        // into the completions' counts and latencies
        VertxOptions options = new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)
                .addLabels(io.vertx.micrometer.Label.HTTP_ROUTE));
        ServerConfig.Cluster cluster = config.cluster();
        HazelcastClusterManager clusterManager = null;
        Vertx vertx;
        if (cluster.enabled()) {
            clusterManager = ClusterSupport.clusterManager(cluster);
            VertxBuilder builder = Vertx.builder().with(ClusterSupport.withEventBus(options, cluster))
                    .withMetrics(new MicrometerMetricsFactory(registry));
            vertx = ClusterSupport.join(builder, clusterManager, cluster, START_TIMEOUT);
            LOG.info("joined cluster '{}' as node {} on {} (discovery {}); members: {}", cluster.name(),
                    clusterManager.getNodeId(), cluster.host(), cluster.multicast() ? "multicast" : cluster.members(),
                    clusterManager.getNodes());
        } else {
            vertx = Vertx.builder().with(options).withMetrics(new MicrometerMetricsFactory(registry)).build();
        }
        String node = clusterManager == null ? null : clusterManager.getNodeId();
        MetricsRecorder metrics = new MetricsRecorder(registry);
        EngineGauges.register(registry, engine, config.maxBatch(), config.queueCapacity());
        AccessLog.enable(config.accessLog());
        addListener.accept(metrics);
        addListener.accept(new EngineBusyMetrics(registry));
        Completions completions = new Completions(engine, metrics, engineCountsRejections, chatTemplate,
                config.queueCapacity() + config.maxBatch(), config.servedModelNames(engine.modelName()));
        AdminGate admin = new AdminGate(vertx, config.adminToken(), new ModelRoots(config.effectiveModelRoots()), registry);
        StreamOwnership ownership = new StreamOwnership();
        HttpApiVerticle http = new HttpApiVerticle(config, completions, registry, admin);
        EventBusApiVerticle eventBus = new EventBusApiVerticle(completions, config.streamConsumerTimeoutMs(), ownership,
                registry, node);
        DeploymentOptions eventLoop = new DeploymentOptions().setThreadingModel(ThreadingModel.EVENT_LOOP);
        SpecserveServer server = new SpecserveServer(vertx, registry, metrics, http, eventBus, admin, config);
        try {
            beforeListening.accept(server);
            await(vertx.deployVerticle(eventBus, eventLoop), "event-bus API");
            await(vertx.deployVerticle(http, eventLoop), "HTTP API on " + config.httpHost() + ":" + config.httpPort());
            if (admin.enabled()) {
                await(vertx.deployVerticle(new EventBusAdminVerticle(admin, !cluster.enabled() || cluster.admin()),
                        eventLoop), "event-bus admin API");
            }
            if (config.bridgeEnabled()) {
                await(vertx.deployVerticle(new TcpBridgeVerticle(config.bridgeHost(), config.bridgePort(),
                                config.security(), ownership, registry), eventLoop),
                        "TCP event-bus bridge on " + config.bridgeHost() + ":" + config.bridgePort());
            }
            StatsLog.every(vertx, config.logStatsIntervalS(), new StatsLog(registry, engine, config.maxBatch(),
                    config.queueCapacity()));
            if (cluster.enabled()) {
                server.clusterModels = ClusterModels.start(vertx, cluster.name(), node, ClusterModels.describe(
                        config.servedModelNames(engine.modelName()), engine.contextLength(), engine.vocabulary().size()),
                        CLUSTER_MODELS_EVERY, registry);
            }
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        return server;
    }

    /** On a clustered bus, what the other members serve (null otherwise). */
    public ClusterModels clusterModels() {
        return clusterModels;
    }

    public Vertx vertx() {
        return vertx;
    }

    /** Enables the drafter and adaptation admin actions on HTTP and the event bus (still behind the admin token). */
    public void setAdmin(AdminActions actions) {
        admin.setActions(actions);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    public MetricsRecorder metrics() {
        return metrics;
    }

    public ServerConfig config() {
        return config;
    }

    public int httpPort() {
        return http.actualPort();
    }

    /** The bridge port, or 0 when the bridge is disabled. */
    public int bridgePort() {
        return config.bridgeEnabled() ? config.bridgePort() : 0;
    }

    /** Event-bus streams still open (waiting for or feeding a consumer). */
    public int openStreams() {
        CompletableFuture<Integer> n = new CompletableFuture<>();
        vertx.runOnContext(v -> n.complete(eventBus.openStreams()));
        try {
            return n.get(5, TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The shutdown has begun: event-bus requests the engine now cancels answer 503, so clients retry elsewhere. */
    public void stopping() {
        eventBus.stopping();
    }

    /** Stops serving: closes the servers and the bridge, cancels open streams, closes Vert.x. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("Vert.x did not close cleanly", e);
        }
        registry.close();
    }

    private static void await(Future<?> f, String what) {
        try {
            f.toCompletionStage().toCompletableFuture().get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting " + what, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot start " + what + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("timed out starting " + what, e);
        }
    }
}
