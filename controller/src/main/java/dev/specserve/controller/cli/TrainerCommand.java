package dev.specserve.controller.cli;

import dev.specserve.controller.adapt.FleetTrainer;
import dev.specserve.controller.config.ConfigException;
import dev.specserve.controller.config.ConfigKey;
import dev.specserve.controller.config.ConfigLoader;
import dev.specserve.controller.config.ServerConfig;
import dev.specserve.controller.feedback.FeedbackWiring;
import dev.specserve.drafters.ModelStack;
import dev.specserve.runtime.SpecserveHome;
import dev.specserve.runtime.manifest.DrafterPrecision;
import dev.specserve.runtime.ort.ExecutionDevice;
import dev.specserve.telemetry.TelemetryConfig;
import dev.specserve.telemetry.TopicAdmin;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * {@code specserve trainer}: the fleet's one adaptation loop ({@link FleetTrainer}), against the Kafka cluster the
 * replicas publish their feedback to. Its settings come from flags, environment variables or the --config file
 * like serve's (the same keys).
 */
@Command(name = "trainer", mixinStandardHelpOptions = true, modelTransformer = TrainerFlags.class,
        description = {
            "Adapt the drafter for a whole fleet: read every replica's round events and training samples from Kafka "
                    + "(consumer group specserve-trainer-<drafter>), run the bandit, the updater and the shadow check "
                    + "on this process's cores, and publish each accepted version, rollback and swap on "
                    + "specserve.drafter-updates. Run the replicas with --adaptation follow.",
            "Logs what it has received from each replica every --progress-s seconds; Ctrl-C or SIGTERM stops it."},
        footer = {"%nExample: bin/specserve trainer --kafka-bootstrap kafka:9092 --adaptation-training-threads 2"})
final class TrainerCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(TrainerCommand.class);
    /** The settings of serve that the trainer uses (besides the model options). */
    static final Set<ConfigKey> KEYS = EnumSet.of(ConfigKey.KAFKA_BOOTSTRAP, ConfigKey.ADAPTATION_EPOCH_S,
            ConfigKey.ADAPTATION_HORIZON_S, ConfigKey.ADAPTATION_TRAINING_THREADS, ConfigKey.ROLLBACK_MARGIN,
            ConfigKey.ROLLBACK_WINDOW_ROUNDS, ConfigKey.MODEL_ROOTS, ConfigKey.MAX_MODEL_LEN);

    @Option(names = "--config", paramLabel = "FILE", description = "JSON config file (serve's keys).")
    Path configFile;

    @Option(names = "--replica-id", paramLabel = "ID", defaultValue = "${SPECSERVE_REPLICA_ID:-trainer}",
            description = "Name in the decision events and on published versions; must differ from every serving "
                    + "replica's (default: ${DEFAULT-VALUE}).")
    String replicaId;

    @Option(names = "--kafka-wait-s", paramLabel = "S", defaultValue = "15",
            description = "Seconds to wait for a Kafka broker to answer at start; none: exit 2 naming the address "
                    + "(default: ${DEFAULT-VALUE}).")
    int kafkaWaitSeconds;

    @Option(names = "--metrics-port", paramLabel = "PORT", defaultValue = "${SPECSERVE_TRAINER_METRICS_PORT:-0}",
            description = "Serve GET /metrics (Prometheus) and /health on this port: the bandit's decisions, the "
                    + "updates, refused samples and versions; 0: none (env SPECSERVE_TRAINER_METRICS_PORT; default: "
                    + "${DEFAULT-VALUE}).")
    int metricsPort;

    @Option(names = "--metrics-host", paramLabel = "HOST", defaultValue = "${SPECSERVE_TRAINER_METRICS_HOST:-127.0.0.1}",
            description = "Interface --metrics-port binds (env SPECSERVE_TRAINER_METRICS_HOST; default: ${DEFAULT-VALUE}).")
    String metricsHost;

    @Option(names = "--progress-s", paramLabel = "S", defaultValue = "30",
            description = "Seconds between progress lines (default: ${DEFAULT-VALUE}).")
    int progressSeconds;

    @Mixin
    ModelOptions models;

    @CommandLine.Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        java.util.concurrent.atomic.AtomicInteger exitStatus = new java.util.concurrent.atomic.AtomicInteger();
        java.util.function.Consumer<Runnable> running = TerminationSignals.installWhileStarting("trainer", exitStatus::set);
        // the model options as serve reads them: flag > SPECSERVE_MODELS / _DEVICE / _DRAFTER_PRECISION / _THREADS
        // > file > default
        Set<ConfigKey> keys = EnumSet.copyOf(KEYS);
        keys.addAll(List.of(ConfigKey.MODELS, ConfigKey.DRAFTER_PRECISION, ConfigKey.DEVICE, ConfigKey.THREADS));
        Map<String, String> flags = models.given(spec.commandLine().getParseResult(), keys);
        ServerConfig config = ConfigLoader.load(configFile, System.getenv(), flags);
        String bootstrap = config.kafkaBootstrap();
        if (!FeedbackWiring.names(bootstrap)) {
            throw new ConfigException("kafka_bootstrap", "setting 'kafka_bootstrap' must name the Kafka cluster the "
                    + "replicas publish their feedback to: --kafka-bootstrap HOST:PORT or SPECSERVE_KAFKA_BOOTSTRAP (got "
                    + (bootstrap == null ? "unset" : "'" + bootstrap + "'") + ")");
        }
        if (kafkaWaitSeconds < 1 || progressSeconds < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--kafka-wait-s and --progress-s must be >= 1");
        }
        if (metricsPort < 0 || metricsPort > 65535) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--metrics-port must be in [0, 65535]");
        }
        Map<String, String> props = FeedbackWiring.clientProperties(System.getenv());
        TelemetryConfig telemetry = TelemetryConfig.builder(bootstrap).replicaId(replicaId).clientProperties(props)
                .build();
        // fails at once, naming the address, when no broker answers: the trainer has nothing to do without one
        LOG.info("trainer: waiting up to {} s for a Kafka broker at {}", kafkaWaitSeconds, bootstrap);
        TopicAdmin.awaitBroker(telemetry, Duration.ofSeconds(kafkaWaitSeconds));
        ServerConfig.Adaptation a = config.adaptation();
        LOG.info("trainer '{}': Kafka {}; a decision every {} s over a {} s horizon, {} training thread(s), rollback "
                + "below {} within {} rounds", replicaId, bootstrap, a.epochSeconds(), a.horizonSeconds(),
                a.trainingThreads(), a.rollbackMargin(), a.rollbackWindowRounds());
        ModelStack stack = ModelStack.load(config.models() != null ? config.models() : SpecserveHome.demoModels(),
                ExecutionDevice.parse(config.device()), config.threads(), DrafterPrecision.parse(config.drafterPrecision()),
                config.maxModelLen());
        // with build_info, as serve's: a mixed-release fleet shows in one query
        PrometheusMeterRegistry registry = dev.specserve.controller.server.ProcessMeters.registry();
        java.util.Deque<AutoCloseable> open = new java.util.ArrayDeque<>(List.of(stack)); // closed in reverse
        try {
            if (metricsPort > 0) {
                MetricsEndpoint metrics = MetricsEndpoint.start(metricsHost, metricsPort, registry);
                open.push(metrics);
                LOG.info("trainer metrics on http://{}:{}/metrics", ServeBanner.urlHost(metricsHost), metrics.port());
            }
            open.push(FleetTrainer.start(stack, telemetry, config.adaptation(), config.effectiveModelRoots(), registry,
                    Duration.ofSeconds(progressSeconds)));
        } catch (RuntimeException | InterruptedException e) {
            closeAll(open);
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean started = new java.util.concurrent.atomic.AtomicBoolean();
        Runnable shutdown = () -> {
            if (!started.compareAndSet(false, true)) {
                ServeShutdown.awaitUninterruptibly(stopped); // a second caller waits for the first to finish
                return;
            }
            LOG.info("trainer stopping");
            closeAll(open);
            LOG.info("trainer stopped");
            stopped.countDown();
        };
        Runtime.getRuntime().addShutdownHook(new Thread(shutdown, "specserve-trainer-shutdown"));
        running.accept(shutdown); // training and shadow checks run ONNX Runtime too: stop them before exiting
        stopped.await();
        return exitStatus.get();
    }

    private static void closeAll(java.util.Deque<AutoCloseable> open) {
        while (!open.isEmpty()) {
            try {
                open.pop().close();
            } catch (Exception e) {
                LOG.warn("trainer: closing failed: {}", e.toString());
            }
        }
    }
}
