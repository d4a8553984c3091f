package dev.specserve.controller.load;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How the client reads streams a real server would rarely send: a stub server answers with fixed bytes. */
class LoadStreamParsingTest {
    static final String DONE = "data: [DONE]\n\n";

    HttpServer stub;
    final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void stop() {
        release.countDown();
        if (stub != null) {
            stub.stop(0);
        }
    }

    static String chunk(String text) {
        return "data: {\"object\":\"text_completion\",\"choices\":[{\"index\":0,\"text\":\"" + text
                + "\",\"finish_reason\":null}]}\n\n";
    }

    static String last(int completionTokens) {
        return "data: {\"choices\":[{\"index\":0,\"text\":\"\",\"finish_reason\":\"length\"}],"
                + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":" + completionTokens + "}}\n\n";
    }

    /** Serves {@code body} with {@code status}; with {@code hang}, keeps the response open until the test ends. */
    RequestResult answer(int status, String body, boolean hang, Duration timeout) throws IOException {
        stub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        stub.setExecutor(Executors.newCachedThreadPool());
        stub.createContext("/v1/completions", ex -> {
            ex.getRequestBody().readAllBytes();
            ex.getResponseHeaders().set("Content-Type", status == 200 ? "text/event-stream" : "application/json");
            ex.sendResponseHeaders(status, 0);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body.getBytes(StandardCharsets.UTF_8));
                out.flush();
                if (hang) {
                    release.await(30, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException e) {
                // the client went away
            }
        });
        stub.start();
        CompletionStreamClient client = new CompletionStreamClient(CompletionStreamClient.newHttpClient(),
                "http://127.0.0.1:" + stub.getAddress().getPort() + "/", 8, 0, null, timeout);
        return client.complete("def f():");
    }

    RequestResult answer(int status, String body) throws IOException {
        return answer(status, body, false, Duration.ofSeconds(30));
    }

    @Test
    void sampling_fields_given_to_load_go_into_every_request_body() throws IOException {
        var client = new CompletionStreamClient(CompletionStreamClient.newHttpClient(), "http://127.0.0.1:1", 8, 0.7,
                null, Duration.ofSeconds(1), null, java.util.Map.of("top_p", 0.9, "top_k", 20));

        var body = new com.fasterxml.jackson.databind.ObjectMapper().readTree(client.body("x"));

        assertThat(body.get("top_p").asDouble()).isEqualTo(0.9);
        assertThat(body.get("top_k").asInt()).isEqualTo(20);
        assertThat(body.get("temperature").asDouble()).isEqualTo(0.7);
    }

    @Test
    void completion_tokens_come_from_the_final_usage_when_a_chunk_carries_several() throws IOException {
        RequestResult r = answer(200, chunk("ab") + ": a comment\n\n" + chunk("") + chunk("cd") + last(6) + DONE);

        assertThat(r.ok()).isTrue();
        assertThat(r.completionTokens()).isEqualTo(6);
        assertThat(r.usageReported()).isTrue();
        assertThat(r.tokenChunkNanos()).hasSize(2); // the empty-text chunk is not a token chunk
        assertThat(r.ttftNanos()).isEqualTo(r.tokenChunkNanos()[0]);
    }

    @Test
    void without_usage_each_text_chunk_counts_as_one_token() throws IOException {
        RequestResult r = answer(200, chunk("a") + chunk("b") + chunk("c") + DONE);

        assertThat(r.ok()).isTrue();
        assertThat(r.completionTokens()).isEqualTo(3);
        assertThat(r.usageReported()).isFalse();
    }

    @Test
    void an_error_chunk_fails_the_request_with_the_servers_message() throws IOException {
        RequestResult r = answer(200, chunk("a")
                + "data: {\"error\":{\"message\":\"engine exploded\",\"type\":\"internal_error\"}}\n\n" + DONE);

        assertThat(r.failure()).isEqualTo("error_chunk");
        assertThat(r.message()).isEqualTo("engine exploded");
    }

    @Test
    void a_stream_that_ends_without_done_is_incomplete() throws IOException {
        RequestResult r = answer(200, chunk("a") + chunk("b"));

        assertThat(r.failure()).isEqualTo("incomplete_stream");
    }

    @Test
    void a_non_200_answer_fails_with_its_status_and_message() throws IOException {
        RequestResult r = answer(429, "{\"error\":{\"message\":\"queue is full\",\"type\":\"rate_limit_error\"}}");

        assertThat(r.failure()).isEqualTo("http_429");
        assertThat(r.message()).isEqualTo("queue is full");
    }

    @Test
    void a_stream_that_stalls_past_the_timeout_is_cancelled_and_failed() throws IOException {
        RequestResult r = answer(200, chunk("a"), true, Duration.ofMillis(300));

        assertThat(r.failure()).isEqualTo("timeout");
        assertThat(r.e2eNanos()).isGreaterThanOrEqualTo(Duration.ofMillis(300).toNanos());
    }
}
