package dev.specserve.controller.server;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * A graceful stop ({@code shutdown_drain_s}): new requests and readiness probes get 503 at once, so a load
 * balancer moves traffic away, while what was running finishes as it would have.
 */
class GracefulDrainTest {
    @Test
    void draining_refuses_new_requests_and_readiness_while_running_ones_finish_uncancelled() throws Exception {
        Vertx vertx = Vertx.vertx();
        try (TestServer server = TestServer.start()) {
            WebClient client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
                    .setDefaultPort(server.httpPort()));
            Future<HttpResponse<Buffer>> running = client.post("/v1/completions").sendJsonObject(new JsonObject()
                    .put("prompt", "def main():").put("max_tokens", 40).put("temperature", 0).put("strategy", "none")
                    .put("ignore_eos", true).put("domain", TestServer.SLOW));
            TestServer.awaitCondition(() -> server.engine.running() == 1, Duration.ofSeconds(30), "the request to run");

            CompletableFuture<Boolean> drained = CompletableFuture.supplyAsync(() -> {
                try {
                    return server.engine.drain(Duration.ofSeconds(60));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            TestServer.awaitCondition(() -> !server.engine.ready(), Duration.ofSeconds(10), "draining to begin");
            HttpResponse<Buffer> readiness = client.get("/ready").send().await(10, SECONDS);
            int ready = readiness.statusCode();
            HttpResponse<Buffer> late = client.post("/v1/completions").sendJsonObject(new JsonObject()
                    .put("prompt", "x").put("max_tokens", 2)).await(10, SECONDS);

            assertThat(ready).isEqualTo(503);
            assertThat(readiness.bodyAsJsonObject().getString("status")).as("not mistaken for a replica starting")
                    .isEqualTo("stopping");
            assertThat(late.statusCode()).isEqualTo(503);
            assertThat(late.getHeader("Retry-After")).as("to retry on another replica").isEqualTo("1");
            assertThat(drained.get(60, SECONDS)).isTrue();
            JsonObject answer = running.await(10, SECONDS).bodyAsJsonObject();
            assertThat(answer.getJsonArray("choices").getJsonObject(0).getString("finish_reason")).isEqualTo("length");
            assertThat(answer.getJsonObject("usage").getInteger("completion_tokens")).isEqualTo(40);
        } finally {
            vertx.close().await();
        }
    }

    /** What a stopping replica's engine cuts is, to an event-bus client, a 503 to retry elsewhere, not a done. */
    @Test
    void requests_cut_by_a_stop_answer_event_bus_clients_503_and_streams_an_error() throws Exception {
        try (TestServer server = TestServer.start()) {
            var bus = server.server.vertx().eventBus();
            JsonObject slow = new JsonObject().put("prompt", "def main():").put("max_tokens", 300).put("temperature", 0)
                    .put("strategy", "none").put("ignore_eos", true).put("domain", TestServer.SLOW);
            var reply = bus.request(EventBusApiVerticle.GENERATE, slow, EventBusApiTest.PATIENT);
            JsonObject opened = (JsonObject) bus.request(EventBusApiVerticle.GENERATE_STREAM, slow.copy(),
                    EventBusApiTest.PATIENT).await(60, SECONDS).body();
            CompletableFuture<JsonObject> last = new CompletableFuture<>();
            bus.<JsonObject>consumer(opened.getString("address"), m -> {
                if (!"token".equals(m.body().getString("type"))) {
                    last.complete(m.body());
                }
            });
            TestServer.awaitCondition(() -> server.engine.running() == 2, Duration.ofSeconds(30), "both to run");

            server.server.stopping();
            server.engine.close();

            Throwable failed = reply.toCompletionStage().toCompletableFuture().handle((r, t) -> t).get(30, SECONDS);
            assertThat(failed).isInstanceOfSatisfying(io.vertx.core.eventbus.ReplyException.class,
                    e -> assertThat(e.failureCode()).isEqualTo(503));
            JsonObject end = last.get(30, SECONDS);
            assertThat(end.getString("type")).isEqualTo("error");
            assertThat(end.encode()).contains("503");
        }
    }
}
