package dev.specserve.controller.server;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** With one batch slot and no queue, concurrent requests beyond the first are refused with 429, not queued. */
class BackpressureTest {
    static TestServer server;
    static Vertx clientVertx;
    static WebClient client;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("max_batch", "1", "queue_capacity", "0"));
        clientVertx = Vertx.vertx();
        client = WebClient.create(clientVertx, new WebClientOptions().setDefaultHost("127.0.0.1")
                .setDefaultPort(server.httpPort()), new PoolOptions().setHttp1MaxSize(16));
    }

    @AfterAll
    static void stop() {
        client.close();
        clientVertx.close().await();
        server.close();
    }

    static JsonObject slowRequest() {
        return new JsonObject().put("prompt", "def main():").put("max_tokens", 64).put("temperature", 0)
                .put("strategy", "none").put("domain", TestServer.SLOW);
    }

    @Test
    void concurrent_http_requests_beyond_capacity_get_429_with_a_json_error_and_the_others_complete() throws Exception {
        double rejectedBefore = server.metric("specserve_requests_rejected_total{reason=\"queue_full\"}");
        List<HttpResponse<Buffer>> responses = new ArrayList<>();
        for (int burst = 0; burst < 5 && responses.stream().noneMatch(r -> r.statusCode() == 429); burst++) {
            List<Future<HttpResponse<Buffer>>> inFlight = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                inFlight.add(client.post("/v1/completions").sendJsonObject(slowRequest()));
            }
            for (Future<HttpResponse<Buffer>> f : inFlight) {
                responses.add(f.await(60, SECONDS));
            }
        }

        assertThat(responses).extracting(HttpResponse::statusCode).contains(200, 429).containsOnly(200, 429);
        for (HttpResponse<Buffer> r : responses) {
            if (r.statusCode() == 429) {
                JsonObject error = r.bodyAsJsonObject().getJsonObject("error");
                assertThat(error.getInteger("code")).isEqualTo(429);
                assertThat(error.getString("message")).contains("queue is full");
                assertThat(r.getHeader("Retry-After")).as("when to come back").isEqualTo("1");
            } else {
                assertThat(r.bodyAsJsonObject().getJsonObject("usage").getInteger("completion_tokens")).isPositive();
            }
        }
        long refused = responses.stream().filter(r -> r.statusCode() == 429).count();
        assertThat(server.metric("specserve_requests_rejected_total{reason=\"queue_full\"}"))
                .isEqualTo(rejectedBefore + refused);
        server.awaitIdle();
    }

    /**
     * A request of n choices refused for a full queue counts n refusals, every time: a refusal that came back while
     * the choices were still being submitted ended the submitting, and the choices never submitted were counted
     * nowhere (a burst of 120 refused sequences counted 75 to 106).
     */
    @Test
    void each_choice_of_a_refused_request_counts_as_a_rejection() throws Exception {
        try (TestServer small = TestServer.start(Map.of("max_batch", "1", "queue_capacity", "2"))) {
            WebClient web = small.client();
            List<Future<HttpResponse<Buffer>>> busy = new ArrayList<>();
            for (int i = 0; i < 3; i++) { // one running, two queued
                busy.add(web.post("/v1/completions").sendJsonObject(slowRequest().put("max_tokens", 100)));
            }
            TestServer.awaitCondition(() -> small.engine.running() == 1 && small.engine.waiting() == 2,
                    java.time.Duration.ofSeconds(30), "slot and queue taken");
            double before = small.metric("specserve_requests_rejected_total{reason=\"queue_full\"}");

            for (int i = 0; i < 12; i++) {
                HttpResponse<Buffer> r = web.post("/v1/completions").sendJsonObject(slowRequest().put("n", 3))
                        .await(60, SECONDS);
                assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(429);
            }

            assertThat(small.metric("specserve_requests_rejected_total{reason=\"queue_full\"}")).isEqualTo(before + 36);
            for (Future<HttpResponse<Buffer>> f : busy) {
                assertThat(f.await(60, SECONDS).statusCode()).isEqualTo(200);
            }
        }
    }

    /**
     * A stream refused at its queue timeout is an HTTP 503 with Retry-After, which clients retry, as a plain
     * request's is: its 200 head went out when it was queued, so it was answered 200 with an error event, which the
     * OpenAI clients do not retry. The head goes out when the stream starts.
     */
    @Test
    void a_stream_refused_at_its_queue_timeout_gets_an_http_503_not_an_error_event() throws Exception {
        try (TestServer small = TestServer.start(Map.of("max_batch", "1", "queue_capacity", "2",
                "request_timeout_ms", "1000"))) {
            WebClient web = small.client();
            Future<HttpResponse<Buffer>> hog = web.post("/v1/completions").sendJsonObject(slowRequest()
                    .put("max_tokens", 400));
            TestServer.awaitCondition(() -> small.engine.running() == 1, java.time.Duration.ofSeconds(30), "slot taken");

            HttpResponse<Buffer> r = web.post("/v1/completions").sendJsonObject(slowRequest().put("stream", true))
                    .await(60, SECONDS);

            assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(503);
            assertThat(r.getHeader("Retry-After")).isNotNull();
            assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("message")).contains("in the queue");
            assertThat(hog.await(60, SECONDS).statusCode()).isEqualTo(200);
        }
    }

    /**
     * A stream refused for a full queue is refused before it begins: HTTP 429 with Retry-After, which the OpenAI
     * clients retry, not a 200 whose only event is an error (which they do not).
     */
    @Test
    void a_streaming_request_beyond_capacity_gets_an_http_429_not_an_error_event() throws Exception {
        List<HttpResponse<Buffer>> responses = new ArrayList<>();
        for (int burst = 0; burst < 5 && responses.stream().noneMatch(r -> r.statusCode() == 429); burst++) {
            List<Future<HttpResponse<Buffer>>> inFlight = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                inFlight.add(client.post("/v1/completions").sendJsonObject(slowRequest().put("stream", true)));
            }
            for (Future<HttpResponse<Buffer>> f : inFlight) {
                responses.add(f.await(60, SECONDS));
            }
        }

        assertThat(responses).extracting(HttpResponse::statusCode).contains(200, 429).containsOnly(200, 429);
        for (HttpResponse<Buffer> r : responses) {
            if (r.statusCode() == 429) {
                assertThat(r.getHeader("Content-Type")).startsWith("application/json");
                assertThat(r.getHeader("Retry-After")).isEqualTo("1");
                assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("message")).contains("queue is full");
            } else {
                assertThat(r.bodyAsString()).doesNotContain("\"error\"").endsWith("data: [DONE]\n\n");
            }
        }
        server.awaitIdle();
    }

    @Test
    void the_event_bus_fails_requests_beyond_capacity_with_code_429() throws Exception {
        var bus = server.server.vertx().eventBus();
        DeliveryOptions patient = new DeliveryOptions().setSendTimeout(60_000);
        List<Throwable> failures = new ArrayList<>();
        for (int burst = 0; burst < 5 && failures.isEmpty(); burst++) {
            List<Future<?>> inFlight = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                inFlight.add(bus.request(EventBusApiVerticle.GENERATE, slowRequest(), patient));
            }
            for (Future<?> f : inFlight) {
                try {
                    f.await(60, SECONDS);
                } catch (ReplyException e) {
                    failures.add(e);
                }
            }
        }

        assertThat(failures).isNotEmpty().allSatisfy(t -> {
            ReplyException e = (ReplyException) t;
            assertThat(e.failureCode()).isEqualTo(429);
            JsonObject error = new JsonObject(e.getMessage());
            assertThat(error.getString("type")).isEqualTo("rate_limit_error");
        });
        server.awaitIdle();
    }
}
