package dev.specserve.controller.server;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import org.junit.jupiter.api.Test;

/** The engine's load line: what ran since the last one, from the same meters /metrics shows; nothing while idle. */
class StatsLogTest {
    @Test
    void an_interval_with_requests_gives_a_line_of_their_throughput_and_an_idle_one_none() throws Exception {
        Vertx vertx = Vertx.vertx();
        try (TestServer server = TestServer.start()) {
            StatsLog stats = new StatsLog(server.server.registry(), server.engine, 8, 64);
            assertThat(stats.tick()).as("idle").isNull();
            WebClient client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
                    .setDefaultPort(server.httpPort()));

            client.post("/v1/completions").sendJsonObject(new JsonObject().put("prompt", "def main():")
                    .put("max_tokens", 20).put("temperature", 0).put("ignore_eos", true)).await(60, SECONDS);
            client.post("/v1/completions").sendJsonObject(new JsonObject().put("prompt", "x").put("max_tokens", 0))
                    .await(60, SECONDS); // refused: max_tokens must be positive
            String line = stats.tick();

            assertThat(line).startsWith("engine: prompt ").contains("running 0 of 8", "waiting 0 of 64", "1 refused",
                    "0 failed").doesNotContain("generation 0.0 tok/s");
            assertThat(stats.tick()).as("idle again").isNull();
        } finally {
            vertx.close().await();
        }
    }
}
