package dev.specserve.controller.server;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mistral's tool-call syntax over HTTP, read from a Mistral-style chat template ({@code [AVAILABLE_TOOLS]}): calls
 * the model writes after {@code [TOOL_CALLS]} come back as tool calls, whole and streamed. As in
 * {@link ChatToolCallsApiTest}, the untaught demo model is held to a call by {@code structured_outputs.regex}.
 */
class MistralToolCallsApiTest {
    static final String TEMPLATE = "{% if tools %}[AVAILABLE_TOOLS]{{ tools | tojson }}[/AVAILABLE_TOOLS]{% endif %}"
            + "{% for m in messages %}[INST]{{ m['content'] }}[/INST]{% endfor %}";
    static final String CALL = "Let me see\\. \\[TOOL_CALLS\\]\\[\\{\"name\": \"get_weather\", \"arguments\": "
            + "\\{\"city\": \"[A-Z][a-z]{2,8}\", \"unit\": \"celsius\"\\}\\}\\]";

    @TempDir
    static Path models;
    static TestServer server;
    static WebClient client;

    @BeforeAll
    static void start() throws IOException {
        TestServer.withChatTemplate(models, TEMPLATE);
        server = TestServer.start(Map.of(), models);
        client = server.client();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static JsonObject ask(boolean stream) {
        return new JsonObject().put("messages", new JsonArray().add(new JsonObject().put("role", "user")
                        .put("content", "Weather in Paris?"))).put("max_completion_tokens", 120).put("temperature", 0)
                .put("tools", ChatToolCallsApiTest.TOOLS).put("stream", stream)
                .put("structured_outputs", new JsonObject().put("regex", CALL));
    }

    static HttpResponse<Buffer> chat(JsonObject body) throws Exception {
        return client.post("/v1/chat/completions").sendJsonObject(body).await(60, SECONDS);
    }

    @Test
    void a_call_after_the_tool_calls_marker_is_answered_as_tool_calls_whole_and_streamed() throws Exception {
        HttpResponse<Buffer> r = chat(ask(false));
        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
        JsonObject choice = r.bodyAsJsonObject().getJsonArray("choices").getJsonObject(0);
        JsonObject message = choice.getJsonObject("message");
        assertThat(choice.getString("finish_reason")).isEqualTo("tool_calls");
        assertThat(message.getString("content")).isEqualTo("Let me see. ");
        JsonObject function = message.getJsonArray("tool_calls").getJsonObject(0).getJsonObject("function");
        assertThat(function.getString("name")).isEqualTo("get_weather");
        assertThat(new JsonObject(function.getString("arguments")).getString("unit")).isEqualTo("celsius");

        StringBuilder content = new StringBuilder();
        JsonArray streamed = null;
        for (String data : HttpApiTest.events(chat(ask(true)).bodyAsString())) {
            if (data.equals("[DONE]")) {
                continue;
            }
            JsonObject delta = new JsonObject(data).getJsonArray("choices").getJsonObject(0).getJsonObject("delta");
            if (delta.getString("content") != null) {
                content.append(delta.getString("content"));
            }
            streamed = delta.getJsonArray("tool_calls") != null ? delta.getJsonArray("tool_calls") : streamed;
        }
        assertThat(content.toString()).as("no call syntax leaks into content").isEqualTo("Let me see. ");
        assertThat(streamed.getJsonObject(0).getJsonObject("function").getString("arguments"))
                .isEqualTo(function.getString("arguments"));
    }
}
