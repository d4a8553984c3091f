package dev.specserve.controller.load;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.specserve.controller.cli.Main;
import dev.specserve.controller.server.TestServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code specserve load} against the real server (engine, models, HTTP API) in this JVM. */
class LoadGeneratorTest {
    static final List<String> PROMPTS = List.of("def add(a, b):\n", "class Stack:\n    def", "import os\n\ndef main():\n");
    static final List<String> LEVEL_FIELDS = List.of("concurrency", "tokens_per_s", "ttft_p50_ms", "ttft_p99_ms",
            "itl_p50_ms", "itl_p99_ms", "e2e_p50_ms", "e2e_p99_ms", "failed", "requests", "completion_tokens", "wall_s");
    static final ObjectMapper JSON = new ObjectMapper();

    static TestServer server;
    static String url;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        url = "http://127.0.0.1:" + server.httpPort();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    Path promptsFile() throws IOException {
        Path p = tmp.resolve("prompts.jsonl");
        StringBuilder s = new StringBuilder();
        for (String prompt : PROMPTS) {
            s.append(JSON.writeValueAsString(Map.of("prompt", prompt))).append('\n');
        }
        Files.writeString(p, s);
        return p;
    }

    static CompletionStreamClient client(String url, int maxTokens, String strategy) {
        return new CompletionStreamClient(CompletionStreamClient.newHttpClient(), url, maxTokens, 0, strategy,
                Duration.ofSeconds(60));
    }

    static void assertOrdered(JsonNode level, String p50, String p99) {
        assertThat(level.has(p50) && level.has(p99)).as(p50 + " and " + p99 + " present").isTrue();
        if (!level.get(p50).isNull()) {
            assertThat(level.get(p50).asDouble()).as(p50).isPositive().isLessThanOrEqualTo(level.get(p99).asDouble());
        }
    }

    @Test
    void the_command_reports_every_level_and_writes_the_json() throws Exception {
        Path out = tmp.resolve("load.json");

        int rc = Main.run("load", "--url", url, "--prompts", promptsFile().toString(), "--requests", "4",
                "--concurrency", "1,2", "--max-tokens", "16", "--json", out.toString());

        assertThat(rc).isZero();
        JsonNode doc = JSON.readTree(out.toFile());
        assertThat(doc.get("url").asText()).isEqualTo(url);
        assertThat(doc.get("max_tokens").asInt()).isEqualTo(16);
        assertThat(doc.get("strategy").isNull()).isTrue();
        assertThat(doc.get("server_default_strategy").asText()).isNotBlank();
        assertThat(doc.get("machine").get("cores").asInt()).isPositive();
        assertThat(doc.get("prompts_repeat").asBoolean()).as("warm-up and 8 requests over 3 prompts").isTrue();
        JsonNode levels = doc.get("levels");
        assertThat(levels).hasSize(2);
        assertThat(levels.get(0).get("concurrency").asInt()).isEqualTo(1);
        assertThat(levels.get(1).get("concurrency").asInt()).isEqualTo(2);
        for (JsonNode level : levels) {
            for (String field : LEVEL_FIELDS) {
                assertThat(level.has(field)).as(field).isTrue();
            }
            assertThat(level.get("requests").asInt()).isEqualTo(4);
            assertThat(level.get("failed").asInt()).isZero();
            assertThat(level.get("completion_tokens").asInt()).isBetween(4, 4 * 16);
            assertThat(level.get("tokens_per_s").asDouble()).isPositive();
            assertThat(level.get("ttft_p50_ms").isNull()).isFalse();
            assertOrdered(level, "ttft_p50_ms", "ttft_p99_ms");
            assertOrdered(level, "itl_p50_ms", "itl_p99_ms");
            assertOrdered(level, "e2e_p50_ms", "e2e_p99_ms");
        }
    }

    @Test
    void every_token_chunk_is_timed_and_tokens_come_from_usage() {
        CompletionStreamClient client = client(url, 16, "none"); // one token per round: several chunks per request

        RequestResult r = client.complete(PROMPTS.get(0));
        LevelReport level = new LoadGenerator(client, PROMPTS, 500).runLevel(2, 4, null);

        assertThat(r.ok()).as(String.valueOf(r.message())).isTrue();
        assertThat(r.usageReported()).isTrue();
        assertThat(r.completionTokens()).isBetween(1, 16).isGreaterThanOrEqualTo(r.tokenChunkNanos().length);
        assertThat(r.tokenChunkNanos()).isNotEmpty().isSorted();
        assertThat(r.ttftNanos()).isEqualTo(r.tokenChunkNanos()[0]).isPositive().isLessThanOrEqualTo(r.e2eNanos());
        assertThat(level.failed()).isZero();
        assertThat(level.requestsWithoutUsage()).isZero();
        assertThat(level.itlP50Ms()).isNotNull().isPositive().isLessThanOrEqualTo(level.itlP99Ms());
        assertThat(level.chunkGapP50Ms()).isNotNull().isLessThanOrEqualTo(level.chunkGapP99Ms());
        assertThat(level.tokensPerChunk()).isGreaterThanOrEqualTo(1.0);
    }

    @Test
    void a_strategy_the_server_rejects_fails_every_request_and_each_is_counted() throws Exception {
        LevelReport level = new LoadGenerator(client(url, 8, "no-such-strategy"), PROMPTS, 500).runLevel(2, 3, null);

        assertThat(level.requests()).isEqualTo(3);
        assertThat(level.failed()).isEqualTo(3);
        assertThat(level.failures()).containsExactly(Map.entry("http_400", 3));
        assertThat(level.firstError()).contains("unknown strategy");
        assertThat(level.completionTokens()).isZero();
        assertThat(level.tokensPerSecond()).isZero();
        assertThat(level.ttftP50Ms()).isNull();
        assertThat(level.e2eP99Ms()).isNull();

        Path out = tmp.resolve("rejected.json");
        int rc = Main.run("load", "--url", url, "--prompts", promptsFile().toString(), "--requests", "2",
                "--concurrency", "1", "--max-tokens", "8", "--strategy", "no-such-strategy", "--json", out.toString());
        assertThat(rc).isEqualTo(1);
        JsonNode l = JSON.readTree(out.toFile()).get("levels").get(0);
        assertThat(l.get("failed").asInt()).isEqualTo(2);
        assertThat(l.get("tokens_per_s").asDouble()).isZero();
        assertThat(l.get("ttft_p50_ms").isNull()).isTrue();
    }

    @Test
    void a_run_with_a_prompt_for_every_request_says_that_no_prompt_repeats() throws Exception {
        Path out = tmp.resolve("unrepeated.json");

        int rc = Main.run("load", "--url", url, "--prompts", promptsFile().toString(), "--requests", "3",
                "--concurrency", "1", "--warmup", "0", "--max-tokens", "4", "--json", out.toString());

        assertThat(rc).isZero();
        assertThat(JSON.readTree(out.toFile()).get("prompts_repeat").asBoolean()).isFalse();
    }

    /** As vLLM's benchmarks filter by length: a prompt the context cannot hold is skipped and counted, not sent. */
    @Test
    void a_prompt_the_context_cannot_hold_with_max_tokens_more_is_skipped_and_counted() throws Exception {
        Path file = promptsFile();
        Files.writeString(file, JSON.writeValueAsString(Map.of("prompt", "x = 1\n".repeat(400))) + "\n"
                        + JSON.writeValueAsString(Map.of("prompt", "y".repeat(300_000))) + "\n", // too long to tokenize
                java.nio.file.StandardOpenOption.APPEND);
        Path out = tmp.resolve("fitted.json");

        int rc = Main.run("load", "--url", url, "--prompts", file.toString(), "--requests", "4",
                "--concurrency", "1", "--warmup", "0", "--max-tokens", "4", "--json", out.toString());

        assertThat(rc).as("exit 1 would mean the long prompt was sent and refused").isZero();
        JsonNode doc = JSON.readTree(out.toFile());
        assertThat(doc.get("prompts_skipped").asInt()).isEqualTo(2);
        assertThat(doc.get("prompt_count").asInt()).isEqualTo(PROMPTS.size());
    }

    @Test
    void a_url_with_nothing_listening_counts_every_request_as_failed() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }

        LevelReport level = new LoadGenerator(client("http://127.0.0.1:" + port, 8, null), PROMPTS, 500)
                .runLevel(2, 3, null);

        assertThat(level.failed()).isEqualTo(3);
        assertThat(level.failures()).containsOnlyKeys("connection refused");
        assertThat(level.tokensPerSecond()).isZero();
    }
}
