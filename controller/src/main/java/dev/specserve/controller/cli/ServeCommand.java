package dev.specserve.controller.cli;

import dev.specserve.controller.config.ConfigKey;
import dev.specserve.controller.config.ConfigLoader;
import dev.specserve.controller.config.ServerConfig;
import dev.specserve.controller.adapt.AdaptationLoop;
import dev.specserve.controller.adapt.DrafterAdmin;
import dev.specserve.controller.adapt.ReplicaAdaptation;
import dev.specserve.controller.feedback.FeedbackWiring;
import dev.specserve.controller.feedback.KafkaFeedbackSink;
import dev.specserve.controller.server.BuildInfo;
import dev.specserve.controller.server.ChatTemplate;
import dev.specserve.controller.server.FeedbackSink;
import dev.specserve.controller.server.SpecserveServer;
import dev.specserve.drafters.ModelStack;
import dev.specserve.runtime.SpecserveHome;
import dev.specserve.runtime.engine.Engine;
import dev.specserve.runtime.manifest.DrafterPrecision;
import dev.specserve.runtime.ort.ExecutionDevice;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/**
 * {@code specserve serve}: loads the models, starts the engine and the HTTP, event-bus and TCP-bridge APIs, and
 * serves until SIGTERM / Ctrl-C. Every setting of {@link ConfigKey} has a flag (added by {@link ConfigFlags}),
 * an environment variable and a config-file key; precedence flag &gt; env &gt; file &gt; default.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, modelTransformer = ServeCommand.ConfigFlags.class,
        description = {
            "Serve completions over HTTP (OpenAI-compatible /v1/completions, /v1/chat/completions and /v1/responses), "
                    + "the Vert.x event bus and a TCP event-bus bridge. With no arguments: the bundled demo models, "
                    + "CUDA if it works else CPU, "
                    + "HTTP on 127.0.0.1:8000, bridge on 127.0.0.1:7000.",
            "Each setting below can come from a flag, an environment variable or the --config JSON file "
                    + "(precedence: flag > environment > file > default)."},
        footerHeading = "%nSettings (config-file key = flag without '--', dashes as underscores):%n",
        footer = {"%s", "Example config file: {\"http_port\": 8080, \"max_batch\": 8, \"strategy\": \"auto\"}",
            "Environment only: SPECSERVE_DATA, the writable data directory (default: SPECSERVE_HOME/data, in the "
                    + "checkout). The embedded Kafka broker (kafka_bootstrap unset or 'embedded') keeps its log in "
                    + "SPECSERVE_DATA/kafka across restarts, so a restarted serve replays the drafter versions earlier "
                    + "runs published; for a fresh start point SPECSERVE_DATA at an empty directory, delete "
                    + "SPECSERVE_DATA/kafka, or use --kafka-bootstrap none.",
            "Error codes: 400 invalid request (error.param names the field), 429 queue full, 500 internal."})
final class ServeCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);

    @Option(names = "--config", paramLabel = "FILE", description = "JSON config file: an object of setting keys to values.")
    Path configFile;

    @Mixin
    ModelOptions models;

    @CommandLine.Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        java.util.concurrent.atomic.AtomicInteger exitStatus = new java.util.concurrent.atomic.AtomicInteger();
        java.util.function.Consumer<Runnable> started = TerminationSignals.installWhileStarting("serve", exitStatus::set);
        ServerConfig config = ConfigLoader.load(configFile, System.getenv(),
                models.given(spec.commandLine().getParseResult(), List.of(ConfigKey.values())));
        LOG.info("specserve {} ({}), pid {}, Java {}, {} cores, max heap {} MiB", BuildInfo.current().version(),
                BuildInfo.current().commit(), ProcessHandle.current().pid(), Runtime.version(),
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);
        LOG.info("config: {}", config);
        dev.specserve.controller.config.UnknownEnvironment.warnings(System.getenv()).forEach(LOG::warn);
        PortProbe.requireFree(config); // a taken port said now, not after the models have loaded and warmed up
        int idle = config.security().httpIdleTimeoutS();
        if (idle > 0 && (config.requestTimeoutMs() == 0 || config.requestTimeoutMs() >= idle * 1000L)) {
            LOG.warn("request_timeout_ms {} is not below http_idle_timeout_s {} s: a request that waits in silence "
                    + "(not streamed, or still queued) longer than the idle timeout has its connection closed without "
                    + "an answer; keep request_timeout_ms below it", config.requestTimeoutMs(), idle);
        }
        Path modelDir = config.models() != null ? config.models() : SpecserveHome.demoModels();
        ModelStack stack = ModelStack.load(modelDir, ExecutionDevice.parse(config.device()), config.threads(),
                config.effectivePrefillThreads(), DrafterPrecision.parse(config.drafterPrecision()), config.maxModelLen());
        Engine engine = null;
        SpecserveServer server = null;
        List<FeedbackSink> sinks = new ArrayList<>();
        try {
            engine = stack.newEngine(config.toEngineConfig(), config.toDrafterConfig());
            Engine warming = engine;
            started.accept(() -> { // a signal from here on: stop the warm-up's forwards before ONNX Runtime's exit hook
                LOG.info("serve stopped while starting (warming up): nothing was served");
                warming.close();
            });
            ChatTemplate chat = ChatTemplate.load(stack.manifest().directory())
                    .withToolCallParser(config.toolCallParser());
            if (chat.usable()) {
                LOG.info("chat template loaded; tool_choice \"auto\" {}", chat.toolCallSyntax()
                        .map(p -> "reads the model's " + p + " tool calls (tool_call_parser)")
                        .orElse("is refused: no known tool-call syntax (tool_call_parser)"));
            }
            Engine served = engine;
            server = SpecserveServer.start(config, engine, chat, s -> { // feedback wired before any request can come
                sinks.addAll(feedbackAndAdaptation(config, stack, served, s));
                for (FeedbackSink sink : sinks) {
                    served.addListener(sink);
                    LOG.info("feedback sink: {}", sink.describe());
                }
            });
        } catch (RuntimeException e) {
            ServeShutdown.sequence(server, engine, sinks, stack, java.time.Duration.ZERO);
            throw e;
        }
        ServeShutdown shutdown = new ServeShutdown(server, engine, sinks, stack,
                java.time.Duration.ofSeconds(config.shutdownDrainS()));
        Runtime.getRuntime().addShutdownHook(new Thread(shutdown, "specserve-shutdown"));
        started.accept(shutdown);

        ServeBanner.log(config, engine, server, modelDir);
        Throwable failed = warmUpFailure(engine);
        if (failed != null) { // models that load but cannot run would answer every request with this error
            shutdown.run();
            throw new IllegalStateException("the models in " + modelDir + " loaded but failed their first forward, so "
                    + "nothing can be served: " + failed.getMessage() + " (does the manifest describe these graphs? "
                    + "bin/specserve parity --models " + modelDir + " compares them with the reference)", failed);
        }
        shutdown.awaitStopped();
        return exitStatus.get();
    }

    /** Waits for the engine's warm-up; what failed it, or null once it is ready (or stopping). */
    private static Throwable warmUpFailure(Engine engine) throws InterruptedException {
        try {
            engine.warmedUp().get();
            return null;
        } catch (java.util.concurrent.ExecutionException e) {
            return e.getCause();
        }
    }

    /**
     * ===== HOOK: feedback publishing =====
     * Returns the sinks that receive every engine event (rounds, finished requests). Plug the Kafka publisher in
     * here, e.g. {@code if (config.kafkaBootstrap() != null) return List.of(new KafkaFeedbackSink(...));}.
     */
    static List<FeedbackSink> feedbackAndAdaptation(ServerConfig config, ModelStack stack, Engine engine,
                                                   SpecserveServer server) {
        if (!stack.hasDrafter()) {
            LOG.info("model '{}' has no drafter: drafter adaptation, feedback and the drafter admin API are off",
                    stack.manifest().name());
            return List.of();
        }
        FeedbackWiring wiring = FeedbackWiring.start(config.kafkaBootstrap(), System.getenv(), server.registry());
        if (!wiring.enabled()) {
            server.setAdmin(new DrafterAdmin(stack, null));
            return List.of();
        }
        String drafterId = AdaptationLoop.drafterId(stack);
        ReplicaAdaptation adaptation = ReplicaAdaptation.start(stack, engine, config.maxBatch(), wiring,
                config.adaptation(), config.effectiveModelRoots(), server.registry());
        server.setAdmin(adaptation.admin());
        KafkaFeedbackSink sink = new KafkaFeedbackSink(wiring.publisher(), wiring.replicaId(), drafterId) {
            /** Feedback flushed first, then the other clients (consumer, update producer and follower), broker last. */
            @Override
            public void close() {
                wiring.publisher().close();
                LOG.info("shutdown: feedback flushed");
                adaptation.close();
                LOG.info("shutdown: feedback consumer and drafter-update clients closed");
                wiring.close();
            }
        };
        return List.of(sink);
    }

    /** Adds one {@code --flag} per {@link ConfigKey} not already declared (the model options come from a mixin). */
    static final class ConfigFlags implements CommandLine.IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            for (ConfigKey k : ConfigKey.values()) {
                if (spec.findOption(k.flag()) != null) {
                    continue;
                }
                String dflt = k.defaultValue() == null ? "unset" : k.defaultValue();
                spec.addOption(OptionSpec.builder(k.flag())
                        .type(String.class)
                        .paramLabel(label(k))
                        .description(k.description() + " [env " + k.env() + "; default " + dflt + "]")
                        .build());
            }
            spec.usageMessage().footer(String.format(String.join("%n", spec.usageMessage().footer()), ConfigKey.textTable()));
            return spec;
        }

        static String label(ConfigKey k) {
            if (!k.type().choices().isEmpty()) {
                return String.join("|", k.type().choices());
            }
            return switch (k.type()) {
                case STRING -> k == ConfigKey.ADMIN_TOKEN ? "TOKEN" : k.key().endsWith("host") ? "HOST" : "VALUE";
                case PORT -> "PORT";
                case BOOLEAN -> "true|false";
                case THREADS, PREFILL_THREADS -> "N|auto";
                case FRACTION -> "X";
                default -> "N";
            };
        }
    }
}
