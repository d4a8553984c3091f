package dev.specserve.controller.server;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code served_model_name}, as vLLM's {@code --served-model-name}: the model answers to each of its names, reports
 * the first, and a request naming any other model is refused with 404 naming {@code model} on every API, so a
 * client or router pointed at the wrong server finds out instead of getting another model's text.
 */
class ServedModelNameTest {
    static TestServer server;
    static WebClient client;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("served_model_name", "coder, coder-latest"));
        client = server.client();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static HttpResponse<Buffer> complete(String model) throws Exception {
        JsonObject body = new JsonObject().put("prompt", "x = 1").put("max_tokens", 4).put("temperature", 0);
        return client.post("/v1/completions").sendJsonObject(model == null ? body : body.put("model", model))
                .await(60, SECONDS);
    }

    @Test
    void the_model_answers_to_each_served_name_and_to_none_and_reports_the_first() throws Exception {
        for (String model : new String[] {"coder", "coder-latest", null}) {
            HttpResponse<Buffer> r = complete(model);
            assertThat(r.statusCode()).as("model %s", model).isEqualTo(200);
            assertThat(r.bodyAsJsonObject().getString("model")).isEqualTo("coder");
        }
        JsonArray models = client.get("/v1/models").send().await(60, SECONDS).bodyAsJsonObject().getJsonArray("data");
        assertThat(models.stream().map(m -> ((JsonObject) m).getString("id")).toList())
                .containsExactly("coder", "coder-latest");
        assertThat(models.getJsonObject(1).getString("root")).as("the manifest's name").isEqualTo(server.engine.modelName());
        assertThat(client.get("/v1/models/coder-latest").send().await(60, SECONDS).statusCode()).isEqualTo(200);
    }

    @Test
    void another_model_is_404_naming_model_on_completions_chat_and_the_event_bus_and_is_counted() throws Exception {
        double before = server.metric("specserve_requests_rejected_total{reason=\"model_not_found\"}");
        HttpResponse<Buffer> completion = complete(server.engine.modelName());
        HttpResponse<Buffer> chat = client.post("/v1/chat/completions").sendJsonObject(new JsonObject()
                .put("model", "gpt-4").put("messages", new JsonArray().add(new JsonObject().put("role", "user")
                        .put("content", "hi")))).await(60, SECONDS);

        for (HttpResponse<Buffer> r : java.util.List.of(completion, chat)) {
            assertThat(r.statusCode()).isEqualTo(404);
            JsonObject error = r.bodyAsJsonObject().getJsonObject("error");
            assertThat(error.getString("param")).isEqualTo("model");
            assertThat(error.getString("message")).contains("'coder'", "'coder-latest'");
        }
        assertThatThrownBy(() -> server.server.vertx().eventBus().request(EventBusApiVerticle.GENERATE,
                        new JsonObject().put("prompt", "x").put("model", "gpt-4"), new DeliveryOptions().setSendTimeout(60_000))
                .await(60, SECONDS))
                .isInstanceOfSatisfying(ReplyException.class, e -> assertThat(e.failureCode()).isEqualTo(404));
        assertThat(client.get("/v1/models/gpt-4").send().await(60, SECONDS).statusCode()).isEqualTo(404);
        assertThat(client.post("/tokenize").sendJsonObject(new JsonObject().put("model", "gpt-4").put("prompt", "x"))
                .await(60, SECONDS).statusCode()).as("vLLM's tokenizer routes check it too").isEqualTo(404);
        assertThat(server.metric("specserve_requests_rejected_total{reason=\"model_not_found\"}") - before)
                .as("each refused request counted: completion, chat, event bus, tokenize").isEqualTo(4);
    }
}
