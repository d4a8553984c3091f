package dev.specserve.controller.server;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import org.junit.jupiter.api.Test;

/**
 * {@code specserve_inter_token_latency_seconds} measures what a client waits between tokens, as vLLM's does: the
 * wall time between a request's outputs, so time spent between its rounds (other requests' prefill chunks, the
 * scheduler) counts, not only the round's own forwards.
 */
class InterTokenLatencyMetricTest {
    @Test
    void time_between_a_requests_rounds_counts_in_its_inter_token_latency() throws Exception {
        Vertx vertx = Vertx.vertx();
        try (TestServer server = TestServer.start()) {
            WebClient client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
                    .setDefaultPort(server.httpPort()));
            double sumBefore = server.metric("specserve_inter_token_latency_seconds_sum");
            double countBefore = server.metric("specserve_inter_token_latency_seconds_count");
            int tokens = 40;

            JsonObject answer = client.post("/v1/completions").sendJsonObject(new JsonObject().put("prompt", "def main():")
                    .put("max_tokens", tokens).put("temperature", 0).put("ignore_eos", true).put("strategy", "none")
                    .put("domain", TestServer.SLOW)).await(60, SECONDS).bodyAsJsonObject();

            assertThat(answer.getJsonObject("usage").getInteger("completion_tokens")).isEqualTo(tokens);
            double count = server.metric("specserve_inter_token_latency_seconds_count") - countBefore;
            double sum = server.metric("specserve_inter_token_latency_seconds_sum") - sumBefore;
            assertThat(count).as("one sample per token after the first").isEqualTo(tokens - 1);
            assertThat(sum).as("each plain step also waited %d ms outside its round", TestServer.SLOW_ROUND_MILLIS)
                    .isGreaterThanOrEqualTo((tokens - 1) * TestServer.SLOW_ROUND_MILLIS / 1000.0);
        } finally {
            vertx.close().await();
        }
    }
}
