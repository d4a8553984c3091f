package dev.specserve.controller.server;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.controller.config.ConfigLoader;
import dev.specserve.controller.config.ServerConfig;
import dev.specserve.drafters.ModelStack;
import dev.specserve.runtime.engine.Engine;
import dev.specserve.runtime.ort.ExecutionDevice;
import dev.specserve.runtime.spec.DraftSession;
import dev.specserve.runtime.spec.Drafter;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * An engine whose thread has died serves nothing ever again, so the probes say so over HTTP: liveness and
 * readiness answer 503 "engine stopped" (an orchestrator restarts the process), and a request is refused with 503
 * naming the cause rather than queued for nobody.
 */
class DeadEngineHttpTest {
    @Test
    void health_and_ready_answer_503_once_the_engine_thread_has_died_and_requests_are_refused() throws Exception {
        Drafter dying = new Drafter() {
            @Override
            public String name() {
                return "none"; // the strategy the config names, so the warm-up runs it
            }

            @Override
            public DraftSession newSession() {
                throw new StackOverflowError("the warm-up's first forward"); // an Error ends the engine thread
            }
        };
        ServerConfig config = ConfigLoader.load(null, Map.of(), Map.of("http_port", "0", "bridge_port", "0",
                "device", "cpu", "strategy", "none"));
        Vertx vertx = Vertx.vertx();
        try (ModelStack stack = ModelStack.load(TestServer.modelDir(), ExecutionDevice.CPU, 2);
             Engine engine = new Engine(stack.target(), stack.tokenizer(), name -> dying, List.of("none"), "m",
                     () -> 0, config.toEngineConfig());
             SpecserveServer server = SpecserveServer.start(config, engine)) {
            TestServer.awaitCondition(engine::failed, Duration.ofSeconds(60), "the engine thread to end");
            WebClient client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
                    .setDefaultPort(server.httpPort()));

            HttpResponse<Buffer> health = client.get("/health").send().await(10, SECONDS);
            HttpResponse<Buffer> healthHead = client.head("/health").send().await(10, SECONDS);
            HttpResponse<Buffer> ready = client.get("/ready").send().await(10, SECONDS);
            HttpResponse<Buffer> request = client.post("/v1/completions").sendJsonObject(new JsonObject()
                    .put("prompt", "def main():").put("max_tokens", 4)).await(10, SECONDS);

            assertThat(health.statusCode()).as("liveness: restart me").isEqualTo(503);
            assertThat(health.bodyAsJsonObject().getString("status")).isEqualTo("engine stopped");
            assertThat(healthHead.statusCode()).isEqualTo(503);
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.bodyAsJsonObject().getString("status")).as("not mistaken for a replica still loading")
                    .isEqualTo("engine stopped");
            assertThat(request.statusCode()).isEqualTo(503);
            assertThat(request.bodyAsJsonObject().getJsonObject("error").getString("message"))
                    .contains("engine thread has stopped");
        } finally {
            vertx.close().await();
        }
    }
}
