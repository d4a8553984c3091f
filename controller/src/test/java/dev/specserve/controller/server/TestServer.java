package dev.specserve.controller.server;

import dev.specserve.controller.config.ConfigLoader;
import dev.specserve.controller.config.ServerConfig;
import dev.specserve.drafters.ModelStack;
import dev.specserve.runtime.engine.Engine;
import dev.specserve.runtime.engine.EngineListener;
import dev.specserve.runtime.engine.RequestStats;
import dev.specserve.runtime.ort.ExecutionDevice;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.RoundResult;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

/**
 * The real thing for a test class: the test models (bundled demo pair, or -Dspecserve.test.models), a real
 * {@link Engine}, and a {@link SpecserveServer} on free ports. Records how every request finished.
 *
 * <p>Requests with {@code "domain": "slow"} get {@value #SLOW_ROUND_MILLIS} ms added to each round (a listener
 * sleeps on the engine thread), so cancellation tests do not race a tiny, fast model to the end of its output.
 */
public final class TestServer implements AutoCloseable {
    static final String SLOW = "slow";
    static final long SLOW_ROUND_MILLIS = 5;

    final ModelStack stack;
    final Engine engine;
    final SpecserveServer server;
    /** finish_reason by request id, as the engine reported it. */
    final Map<String, String> finished = new ConcurrentHashMap<>();

    private TestServer(Map<String, String> settings, Path models) {
        Map<String, String> s = new HashMap<>();
        s.put("http_port", "0");
        s.put("bridge_port", Integer.toString(freePort()));
        s.put("max_tokens_limit", "512");
        // 32 MiB, not the default 256: the test classes' servers stay reachable from their static fields until the
        // run ends, and their prefix caches' direct memory with them (the JVM's limit is a quarter of RAM)
        s.put("prefix_cache_bytes", Integer.toString(32 << 20));
        s.put("device", "cpu");
        s.putAll(settings);
        ServerConfig config = ConfigLoader.load(null, Map.of(), s);
        stack = ModelStack.load(models, ExecutionDevice.CPU, 2);
        engine = stack.newEngine(config.toEngineConfig());
        engine.addListener(new EngineListener() {
            @Override
            public void onRound(String requestId, String strategy, long drafterVersion, String domain,
                                RoundResult round, int[] emitted) {
                if (SLOW.equals(domain)) {
                    try {
                        Thread.sleep(SLOW_ROUND_MILLIS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }

            @Override
            public void onFinished(String requestId, GenerationResult result, RequestStats stats) {
                finished.put(requestId, result.finishReason().wire());
            }

            @Override
            public void onFailed(String requestId, Throwable error) {
                finished.put(requestId, "error");
            }
        });
        server = SpecserveServer.start(config, engine, ChatTemplate.load(stack.manifest().directory()));
        awaitCondition(engine::ready, Duration.ofSeconds(60), "engine ready");
    }

    /** Settings by config-file key, e.g. {@code "max_batch" -> "1"}. */
    public static TestServer start(Map<String, String> settings) {
        return new TestServer(settings, modelDir());
    }

    /** Serving the models of {@code models} (a directory with a manifest.json). */
    public static TestServer start(Map<String, String> settings, Path models) {
        return new TestServer(settings, models);
    }

    public static TestServer start() {
        return start(Map.of());
    }

    static Path modelDir() {
        return dev.specserve.controller.TestModels.dir();
    }

    /**
     * {@code dir} made a model directory of the test models (linked) whose {@code tokenizer_config.json} holds
     * {@code template} as its chat template, as a Hugging Face checkpoint keeps it.
     */
    static Path withChatTemplate(Path dir, String template) throws java.io.IOException {
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(modelDir())) {
            for (Path f : files.toList()) {
                java.nio.file.Files.createSymbolicLink(dir.resolve(f.getFileName()), f.toAbsolutePath());
            }
        }
        java.nio.file.Files.writeString(dir.resolve(ChatTemplate.CONFIG_FILE), new io.vertx.core.json.JsonObject()
                .put("bos_token", "").put("eos_token", "<|endoftext|>").put("chat_template", template).encode());
        return dir;
    }

    public int httpPort() {
        return server.httpPort();
    }

    int bridgePort() {
        return server.bridgePort();
    }

    /** Waits until the engine has no running and no waiting request. */
    void awaitIdle() {
        awaitCondition(() -> engine.running() == 0 && engine.waiting() == 0, Duration.ofSeconds(30), "engine idle");
    }

    /** The rendered Prometheus value of a sample line, e.g. {@code specserve_requests_rejected_total{reason="queue_full"}}. */
    double metric(String sample) {
        for (String line : server.registry().scrape().split("\n")) {
            if (line.startsWith(sample + " ")) {
                return Double.parseDouble(line.substring(sample.length() + 1).trim());
            }
        }
        return 0;
    }

    static void awaitCondition(BooleanSupplier condition, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for: " + what);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A web client of this server's HTTP API on a Vert.x of its own (the client side of a test), made on first use
     * and closed with the server.
     */
    public synchronized io.vertx.ext.web.client.WebClient client() {
        if (client == null) {
            clientVertx = io.vertx.core.Vertx.vertx();
            client = io.vertx.ext.web.client.WebClient.create(clientVertx, new io.vertx.ext.web.client.WebClientOptions()
                    .setDefaultHost("127.0.0.1").setDefaultPort(httpPort()));
        }
        return client;
    }

    /** The Vert.x {@link #client()} runs on, for tests that need other clients on the client side. */
    public synchronized io.vertx.core.Vertx clientVertx() {
        client();
        return clientVertx;
    }

    private io.vertx.core.Vertx clientVertx;
    private io.vertx.ext.web.client.WebClient client;

    @Override
    public void close() {
        synchronized (this) {
            if (client != null) {
                client.close();
                clientVertx.close().await();
            }
        }
        server.close();
        engine.close();
        stack.close();
    }
}
