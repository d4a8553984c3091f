package dev.specserve.controller.server;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * An operator can find any request in the log: one access line per request when it ends (status, time, ids,
 * tokens), 499 for a client that left first, probes kept out of it; and a client's own X-Request-Id comes back on
 * the response and goes into that line, on refusals before parsing too.
 */
class AccessLogTest {
    static TestServer server;
    static Vertx vertx;
    static WebClient client;
    static final ListAppender<ILoggingEvent> LINES = new ListAppender<>();
    static Level saved;
    @org.junit.jupiter.api.io.TempDir
    static java.nio.file.Path models;

    @BeforeAll
    static void start() throws java.io.IOException {
        Logger access = (Logger) LoggerFactory.getLogger(AccessLog.LOGGER);
        saved = access.getLevel();
        access.setLevel(Level.INFO); // the tests' logback config keeps dev.specserve at WARN
        LINES.start();
        access.addAppender(LINES);
        server = TestServer.start(java.util.Map.of(), TestServer.withChatTemplate(models, ChatCompletionsApiTest.TEMPLATE));
        vertx = Vertx.vertx();
        client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
                .setDefaultPort(server.httpPort()));
    }

    @AfterAll
    static void stop() {
        Logger access = (Logger) LoggerFactory.getLogger(AccessLog.LOGGER);
        access.detachAppender(LINES);
        access.setLevel(saved);
        vertx.close().await();
        server.close();
    }

    @BeforeEach
    void clear() {
        synchronized (LINES) {
            LINES.list.clear();
        }
    }

    @Test
    void a_generation_is_one_line_with_its_ids_and_tokens_and_the_clients_request_id_comes_back() throws Exception {
        HttpResponse<Buffer> r = client.post("/v1/completions").putHeader("X-Request-Id", "trace-7f3a")
                .sendJsonObject(new JsonObject().put("prompt", "def main():").put("max_tokens", 6).put("temperature", 0))
                .await(60, SECONDS);

        String id = r.bodyAsJsonObject().getString("id");
        assertThat(r.getHeader("X-Request-Id")).isEqualTo("trace-7f3a");
        assertThat(id).startsWith("cmpl-");
        String line = onlyLine();
        assertThat(line).startsWith("POST /v1/completions 200 ").contains("id=" + id, "client_id=trace-7f3a",
                "completion_tokens=6", "finish=length", "ttft_ms=", "remote=127.0.0.1");
    }

    @Test
    void a_request_refused_before_parsing_has_an_id_in_its_header_and_its_line() throws Exception {
        HttpResponse<Buffer> r = client.post("/v1/completions").putHeader("Content-Type", "application/json")
                .sendBuffer(Buffer.buffer("{not json")).await(30, SECONDS);

        assertThat(r.statusCode()).isEqualTo(400);
        String id = r.getHeader("X-Request-Id");
        assertThat(id).as("every answer names its request").isNotBlank();
        assertThat(onlyLine()).startsWith("POST /v1/completions 400 ").contains("id=" + id);
    }

    @Test
    void a_client_id_that_could_split_a_header_or_a_log_line_is_not_echoed() throws Exception {
        HttpResponse<Buffer> r = client.get("/v1/models").putHeader("X-Request-Id", "two words").send().await(30, SECONDS);

        assertThat(r.getHeader("X-Request-Id")).isNotEqualTo("two words").startsWith("req-");
        assertThat(onlyLine()).doesNotContain("two words");
    }

    @Test
    void a_client_that_leaves_mid_stream_is_logged_as_499_and_probes_stay_out_of_the_log() throws Exception {
        String body = new JsonObject().put("prompt", "def main():").put("max_tokens", 300).put("ignore_eos", true)
                .put("stream", true).put("domain", TestServer.SLOW).encode();
        try (Socket s = new Socket("127.0.0.1", server.httpPort())) { // a raw client, to leave when it likes
            s.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
                    + "\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.UTF_8));
            InputStream in = s.getInputStream();
            byte[] buf = new byte[4096];
            String seen = "";
            while (!seen.contains("data: ")) { // the stream has begun
                int n = in.read(buf);
                assertThat(n).as("the stream's first event").isPositive();
                seen += new String(buf, 0, n, StandardCharsets.UTF_8);
            }
        }
        assertThat(onlyLine()).startsWith("POST /v1/completions 499 (connection closed)").contains("choices_done=0/1");
        clear();
        client.get("/health").send().await(10, SECONDS);
        client.get("/metrics").send().await(10, SECONDS);
        client.get("/v1/models").send().await(10, SECONDS); // on the same connection, after the probes

        TestServer.awaitCondition(() -> lines().stream().anyMatch(l -> l.startsWith("GET /v1/models ")),
                Duration.ofSeconds(30), "the models line");
        assertThat(lines()).as("probes at DEBUG only").noneMatch(l -> l.contains("/health") || l.contains("/metrics"));
    }

    @Test
    void a_responses_id_never_reaches_the_log_nor_does_a_control_character_in_a_path() throws Exception {
        HttpResponse<Buffer> created = client.post("/v1/responses").sendJsonObject(new JsonObject()
                .put("input", "def main():").put("max_output_tokens", 4)).await(60, SECONDS);
        String handle = created.bodyAsJsonObject().getString("id");
        assertThat(handle).startsWith("resp_");
        assertThat(created.getHeader("X-Request-Id")).as("proxies log this header: never the handle").startsWith("req-");
        client.get("/v1/responses/" + handle).send().await(30, SECONDS);
        client.get("/v1/nothing%1B%5B31mred").send().await(30, SECONDS);

        TestServer.awaitCondition(() -> lines().size() == 3, Duration.ofSeconds(30), "three access lines");
        assertThat(lines()).as("the handle reads the stored conversation").noneMatch(l -> l.contains(handle))
                .anyMatch(l -> l.startsWith("POST /v1/responses 200 ") && l.contains("id=" + created.getHeader("X-Request-Id")))
                .anyMatch(l -> l.startsWith("GET /v1/responses/resp_* 200 "))
                .noneMatch(l -> l.chars().anyMatch(c -> c < 0x20 || c == 0x7f));
    }

    @Test
    void event_bus_requests_have_access_lines_too_with_their_outcome() throws Exception {
        var bus = server.server.vertx().eventBus();
        JsonObject body = new JsonObject().put("prompt", "def main():").put("max_tokens", 5).put("temperature", 0)
                .put("ignore_eos", true);
        JsonObject done = (JsonObject) bus.request(EventBusApiVerticle.GENERATE, body, EventBusApiTest.PATIENT)
                .await(60, SECONDS).body();
        bus.request(EventBusApiVerticle.GENERATE, new JsonObject().put("prompt", "x").put("max_tokens", -1),
                EventBusApiTest.PATIENT).otherwise(e -> null).await(60, SECONDS);
        JsonObject opened = (JsonObject) bus.request(EventBusApiVerticle.GENERATE_STREAM, body.copy(),
                EventBusApiTest.PATIENT).await(60, SECONDS).body();
        bus.<JsonObject>consumer(opened.getString("address"), m -> {});

        TestServer.awaitCondition(() -> lines().size() == 3, Duration.ofSeconds(30), "three bus access lines");
        assertThat(lines()).anyMatch(l -> l.startsWith("BUS specserve.generate 200 ") && l.contains("id=" + done.getString("id"))
                        && l.contains("completion_tokens=5"))
                .anyMatch(l -> l.startsWith("BUS specserve.generate 400 ") && l.contains("id=- error=invalid_request_error"))
                .anyMatch(l -> l.startsWith("BUS specserve.generate.stream 200 ") && l.contains("id=" + opened.getString("id"))
                        && l.contains("completion_tokens=5"));
    }

    /** The lines so far (the appender appends on event-loop threads, under its own lock). */
    private static List<String> lines() {
        synchronized (LINES) {
            return LINES.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    private static String onlyLine() {
        TestServer.awaitCondition(() -> !lines().isEmpty(), Duration.ofSeconds(30), "an access line");
        assertThat(lines()).hasSize(1);
        return lines().get(0);
    }
}
