package dev.specserve.controller.cli;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.controller.TestModels;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real SIGTERM to a real {@code serve} process with a drain while streams run. ONNX Runtime's own shutdown hook
 * frees its native environment when the JVM begins to exit, so a drain run as a shutdown hook crashed the process
 * in the middle of a forward (SIGSEGV, exit 134, every stream cut off): the drain must end before the JVM exits.
 */
class SignalShutdownTest {
    @TempDir
    Path dir;

    @Test
    void sigterm_during_a_drain_finishes_the_running_streams_and_exits_143_without_a_crash() throws Exception {
        int port = OrderlyShutdownTest.freePort();
        Path log = dir.resolve("serve.log");
        ProcessBuilder command = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "serve",
                "--models", TestModels.dir().toString(), "--device", "cpu", "--http-port", Integer.toString(port),
                "--bridge-port", "0", "--kafka-bootstrap", "none", "--shutdown-drain-s", "20")
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        command.environment().put("SPECSERVE_LOG_LEVEL", "INFO"); // the test logback config's level for ours
        Process serve = command.start();
        try {
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + port;
            long deadline = System.nanoTime() + SECONDS.toNanos(120);
            while (!ready(http, base) && System.nanoTime() < deadline) {
                assertThat(serve.isAlive()).as("serve is running; log:%n%s", Files.readString(log)).isTrue();
                Thread.sleep(200);
            }
            List<CompletableFuture<HttpResponse<String>>> streams = new ArrayList<>();
            for (int i = 0; i < 3; i++) { // the default strategy: drafter and target forwards while draining
                streams.add(http.sendAsync(HttpRequest.newBuilder(URI.create(base + "/v1/completions"))
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                                "{\"prompt\": \"def fibonacci(n):\\n\", \"max_tokens\": 300, \"stream\": true, "
                                        + "\"seed\": " + i + "}")).build(), HttpResponse.BodyHandlers.ofString()));
            }
            Thread.sleep(500);

            serve.destroy(); // SIGTERM

            assertThat(serve.waitFor(60, SECONDS)).as("serve exited").isTrue();
            String output = Files.readString(log);
            assertThat(serve.exitValue()).as("exit status (143: SIGTERM, 134: crashed); log:%n%s", output).isEqualTo(143);
            assertThat(output).contains("shutdown: drained").doesNotContain("SIGSEGV", "A fatal error");
            for (CompletableFuture<HttpResponse<String>> s : streams) {
                String body = s.get(30, SECONDS).body();
                assertThat(body).as("each stream finished within the drain").contains("\"finish_reason\":\"length\"")
                        .endsWith("data: [DONE]\n\n");
            }
            try (Stream<Path> files = Files.list(dir)) {
                assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("hs_err"));
            }
        } finally {
            serve.destroyForcibly();
        }
    }

    /**
     * At the first log line, and as ONNX Runtime starts opening sessions: the second crashed the JVM (SIGBUS in ONNX
     * Runtime, exit 134, a crash file) when the exit's hooks freed the native environment under the session.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"config:", "execution provider:"})
    void sigterm_while_the_models_load_says_so_and_exits_143(String after) throws Exception {
        Path log = dir.resolve("starting.log");
        ProcessBuilder command = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "serve",
                "--models", TestModels.dir().toString(), "--device", "cpu",
                "--http-port", Integer.toString(OrderlyShutdownTest.freePort()), "--bridge-port", "0",
                "--kafka-bootstrap", "none")
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        command.environment().put("SPECSERVE_LOG_LEVEL", "INFO");
        Process serve = command.start();
        try {
            long deadline = System.nanoTime() + SECONDS.toNanos(60);
            while (!Files.readString(log).contains(after) && System.nanoTime() < deadline) {
                Thread.sleep(2);
            }

            serve.destroy(); // SIGTERM, models loading

            assertThat(serve.waitFor(60, SECONDS)).as("serve exited").isTrue();
            String output = Files.readString(log);
            assertThat(serve.exitValue()).as("exit status; log:%n%s", output).isEqualTo(143);
            assertThat(output).as("the log says why it ended").contains("SIGTERM received",
                    "serve stopped while starting").doesNotContain("serving model", "A fatal error");
            try (Stream<Path> files = Files.list(dir)) {
                assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("hs_err"));
            }
        } finally {
            serve.destroyForcibly();
        }
    }

    private static boolean ready(HttpClient http, String base) throws InterruptedException {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(base + "/ready")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        }
    }
}
