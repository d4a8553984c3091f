package dev.specserve.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.controller.config.ConfigLoader;
import dev.specserve.controller.config.ServerConfig;
import dev.specserve.controller.server.SpecserveServer;
import dev.specserve.drafters.ModelStack;
import dev.specserve.runtime.SpecserveHome;
import dev.specserve.runtime.engine.Engine;
import dev.specserve.runtime.ort.ExecutionDevice;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The user's path with an exported checkpoint: import, parity, generate and serve over real HTTP. */
class OwnModelCliTest {
    static final Path FIXTURES = SpecserveHome.home().resolve("runtime/src/test/resources/byom");

    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {}

    static Run cli(String... args) {
        PrintStream savedOut = System.out;
        PrintStream savedErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(savedOut);
            System.setErr(savedErr);
        }
    }

    @Test
    void an_exported_checkpoint_passes_parity_and_an_imported_optimum_export_generates() {
        assertThat(cli("parity", "--models", FIXTURES.resolve("gpt2").toString(), "--device", "cpu").code()).isZero();
        Path imported = tmp.resolve("imported");
        Run imp = cli("import-optimum", FIXTURES.resolve("llama-gqa-optimum").toString(), "--out", imported.toString());
        assertThat(imp.code()).as(imp.err()).isZero();
        assertThat(imp.out()).contains("6/2 kv heads", "serve it");
        Run gen = cli("generate", "--models", imported.toString(), "--device", "cpu", "--prompt", "ab ab ab ab",
                "--strategy", "suffix", "--max-tokens", "8");
        assertThat(gen.code()).as(gen.err()).isZero();
        assertThat(gen.err()).contains("8 generated tokens");
        Run refused = cli("generate", "--models", imported.toString(), "--device", "cpu", "--prompt", "x",
                "--strategy", "eagle");
        assertThat(refused.code()).isEqualTo(2);
        assertThat(refused.err()).contains("'eagle'", "Optimum");
        assertThat(cli("import-optimum", "--help").out()).contains("--out", "text-generation-with-past");
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"qwen2-tied", "llama-gqa-optimum-merged"})
    void a_model_without_drafter_serves_completions_over_http_and_refuses_drafter_strategies(String fixture)
            throws Exception {
        ServerConfig config = ConfigLoader.load(null, Map.of(), Map.of("http_port", "0", "bridge_port", "0",
                "device", "cpu"));
        Path dir = fixture.contains("optimum")
                ? dev.specserve.runtime.manifest.OptimumImport.run(FIXTURES.resolve(fixture), tmp.resolve("imported"))
                : FIXTURES.resolve(fixture);
        try (ModelStack stack = ModelStack.load(dir, ExecutionDevice.CPU, 2)) {
            Engine engine = stack.newEngine(config.toEngineConfig());
            SpecserveServer server = SpecserveServer.start(config, engine,
                    dev.specserve.controller.server.ChatTemplate.load(dir));
            try {
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (!engine.ready() && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                HttpClient http = HttpClient.newHttpClient();
                String base = "http://127.0.0.1:" + server.httpPort();
                HttpResponse<String> ok = http.send(post(base, "{\"prompt\":\"ab ab ab ab ab\",\"max_tokens\":6,"
                        + "\"temperature\":0,\"strategy\":\"suffix\"}"), HttpResponse.BodyHandlers.ofString());
                assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
                assertThat(ok.body()).contains("\"completion_tokens\":6", "\"model\":\"" + fixture + "\"");
                HttpResponse<String> refused = http.send(post(base, "{\"prompt\":\"x\",\"max_tokens\":2,"
                        + "\"strategy\":\"specblock\"}"), HttpResponse.BodyHandlers.ofString());
                assertThat(refused.statusCode()).isEqualTo(400);
                assertThat(refused.body()).contains("specblock", "needs a drafter model", "none, ngram, suffix, auto",
                        "models/train-drafter.sh");
                HttpResponse<String> chat = http.send(HttpRequest.newBuilder(java.net.URI.create(base
                                + "/v1/chat/completions")).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"messages\":[{\"role\":\"user\",\"content\":"
                                + "\"ab ab\"}],\"max_tokens\":5,\"temperature\":0}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (java.nio.file.Files.readString(dir.resolve("tokenizer_config.json")).contains("chat_template")) {
                    assertThat(chat.statusCode()).as("the checkpoint's chat_template travelled with the export: %s",
                            chat.body()).isEqualTo(200);
                    assertThat(chat.body()).contains("\"object\":\"chat.completion\"", "\"role\":\"assistant\"");
                } else {
                    assertThat(chat.statusCode()).isEqualTo(400);
                    assertThat(chat.body()).contains("chat template");
                }
            } finally {
                server.close();
                engine.close();
            }
        }
    }

    static HttpRequest post(String base, String json) {
        return HttpRequest.newBuilder(URI.create(base + "/v1/completions")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build();
    }
}
