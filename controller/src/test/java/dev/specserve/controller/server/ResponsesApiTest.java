package dev.specserve.controller.server;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /v1/responses} against the real engine, through a real HTTP client, with the ChatML template of
 * {@link ChatCompletionsApiTest}: each answer is compared with the chat completions API's for the same conversation,
 * which the Responses API is served as.
 */
class ResponsesApiTest {
    @TempDir
    static Path models;
    static TestServer server;
    static Vertx clientVertx;
    static WebClient client;

    @BeforeAll
    static void start() throws IOException {
        TestServer.withChatTemplate(models, ChatCompletionsApiTest.TEMPLATE);
        server = TestServer.start(Map.of(), models);
        clientVertx = Vertx.vertx();
        client = WebClient.create(clientVertx, new WebClientOptions().setDefaultHost("127.0.0.1")
                .setDefaultPort(server.httpPort()));
    }

    @AfterAll
    static void stop() {
        client.close();
        clientVertx.close().await();
        server.close();
    }

    static JsonObject greedy(int maxOutputTokens, Object input) {
        return new JsonObject().put("input", input).put("max_output_tokens", maxOutputTokens).put("temperature", 0)
                .put("strategy", "none");
    }

    static HttpResponse<Buffer> respond(JsonObject body) throws Exception {
        return client.post("/v1/responses").sendJsonObject(body).await(60, SECONDS);
    }

    static JsonObject chat(JsonObject body) throws Exception {
        HttpResponse<Buffer> r = client.post("/v1/chat/completions").sendJsonObject(body).await(60, SECONDS);
        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
        return r.bodyAsJsonObject();
    }

    static JsonObject ok(JsonObject body) throws Exception {
        HttpResponse<Buffer> r = respond(body);
        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
        return r.bodyAsJsonObject();
    }

    /** The text of a response's one message item. */
    static String text(JsonObject response) {
        JsonObject item = response.getJsonArray("output").getJsonObject(0);
        assertThat(item.getString("type")).isEqualTo("message");
        return item.getJsonArray("content").getJsonObject(0).getString("text");
    }

    /** A stream's events: each {@code event: <type>} with its data, whose type it repeats. */
    static List<JsonObject> events(HttpResponse<Buffer> r) {
        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
        assertThat(r.getHeader("Content-Type")).startsWith("text/event-stream");
        List<JsonObject> events = new ArrayList<>();
        for (String block : r.bodyAsString().split("\n\n")) {
            String[] lines = block.split("\n");
            assertThat(lines).as(block).hasSize(2);
            assertThat(lines[0]).startsWith("event: ");
            assertThat(lines[1]).startsWith("data: ");
            JsonObject data = new JsonObject(lines[1].substring("data: ".length()));
            assertThat(data.getString("type")).isEqualTo(lines[0].substring("event: ".length()));
            events.add(data);
        }
        return events;
    }

    static List<String> types(List<JsonObject> events) {
        return events.stream().map(e -> e.getString("type")).toList();
    }

    @Test
    void a_string_input_answers_the_greedy_text_chat_completions_answers_for_the_same_message() throws Exception {
        JsonObject response = ok(greedy(24, "def fibonacci(n):").put("metadata", new JsonObject().put("run", "7"))
                .put("store", true));
        JsonObject chat = chat(ChatCompletionsApiTest.greedy(24, "user", "def fibonacci(n):"));

        assertThat(response.getString("id")).matches("resp_[0-9a-f]{32}");
        assertThat(response.getString("object")).isEqualTo("response");
        assertThat(response.getLong("created_at")).isPositive();
        assertThat(response.getString("model")).isEqualTo("specserve-demo");
        JsonObject choice = chat.getJsonArray("choices").getJsonObject(0);
        assertThat(text(response)).isNotEmpty().isEqualTo(choice.getJsonObject("message").getString("content"));
        JsonObject item = response.getJsonArray("output").getJsonObject(0);
        assertThat(item.getString("id")).startsWith("msg_");
        assertThat(item.getString("role")).isEqualTo("assistant");
        assertThat(item.getJsonArray("content").getJsonObject(0).getString("type")).isEqualTo("output_text");
        assertThat(item.getJsonArray("content").getJsonObject(0).getJsonArray("annotations")).isEmpty();
        boolean stopped = "stop".equals(choice.getString("finish_reason"));
        assertThat(response.getString("status")).isEqualTo(stopped ? "completed" : "incomplete");
        assertThat(item.getString("status")).isEqualTo(stopped ? "completed" : "incomplete");
        JsonObject usage = response.getJsonObject("usage");
        JsonObject chatUsage = chat.getJsonObject("usage");
        assertThat(usage.getInteger("input_tokens")).isEqualTo(chatUsage.getInteger("prompt_tokens"));
        assertThat(usage.getInteger("output_tokens")).isEqualTo(chatUsage.getInteger("completion_tokens"));
        assertThat(usage.getInteger("total_tokens")).isEqualTo(chatUsage.getInteger("total_tokens"));
        assertThat(usage.getJsonObject("output_tokens_details").getInteger("reasoning_tokens")).isZero();
        assertThat(usage.getJsonObject("input_tokens_details").getInteger("cached_tokens"))
                .isBetween(0, usage.getInteger("input_tokens"));
        assertThat(response.getBoolean("store")).as("stored, as asked").isTrue();
        assertThat(response.containsKey("previous_response_id")).isTrue();
        assertThat(response.getValue("previous_response_id")).isNull();
        assertThat(response.getValue("error")).isNull();
        assertThat(response.getJsonObject("metadata")).isEqualTo(new JsonObject().put("run", "7"));
        assertThat(response.getInteger("max_output_tokens")).isEqualTo(24);
        assertThat(response.getJsonObject("text")).isEqualTo(new JsonObject("{\"format\": {\"type\": \"text\"}}"));
        assertThat(response.containsKey("output_text")).as("an SDK convenience, not on the wire").isFalse();
        assertThat(response.getJsonObject("specserve").getString("strategy")).isEqualTo("none");
    }

    @Test
    void instructions_and_a_developer_message_become_the_system_message() throws Exception {
        JsonObject chat = chat(ChatCompletionsApiTest.greedy(16, "system", "You write Python.", "user", "def f():"));
        JsonArray parts = new JsonArray().add(new JsonObject().put("type", "input_text").put("text", "def f():"));
        JsonObject withInstructions = ok(greedy(16, new JsonArray().add(new JsonObject().put("role", "user")
                .put("content", parts))).put("instructions", "You write Python."));
        JsonObject withDeveloper = ok(greedy(16, new JsonArray()
                .add(new JsonObject().put("type", "message").put("role", "developer").put("content", "You write Python."))
                .add(new JsonObject().put("role", "user").put("content", "def f():"))));

        String expected = chat.getJsonArray("choices").getJsonObject(0).getJsonObject("message").getString("content");
        int prompt = chat.getJsonObject("usage").getInteger("prompt_tokens");
        for (JsonObject response : List.of(withInstructions, withDeveloper)) {
            assertThat(text(response)).isEqualTo(expected);
            assertThat(response.getJsonObject("usage").getInteger("input_tokens")).isEqualTo(prompt);
        }
        assertThat(withInstructions.getString("instructions")).isEqualTo("You write Python.");
        assertThat(withDeveloper.getValue("instructions")).isNull();
    }

    @Test
    void streamed_deltas_concatenate_to_the_text_in_the_documented_event_order() throws Exception {
        JsonObject request = greedy(20, "import os\n");
        String whole = text(ok(request));

        List<JsonObject> events = events(respond(request.copy().put("stream", true).put("strategy", "specblock")));

        List<String> types = types(events);
        assertThat(types.subList(0, 4)).containsExactly("response.created", "response.in_progress",
                "response.output_item.added", "response.content_part.added");
        int deltas = types.lastIndexOf("response.output_text.delta");
        assertThat(deltas).isGreaterThan(3);
        assertThat(types.subList(4, deltas + 1)).containsOnly("response.output_text.delta");
        assertThat(types.subList(deltas + 1, types.size() - 1)).containsExactly("response.output_text.done",
                "response.content_part.done", "response.output_item.done");
        assertThat(types.get(types.size() - 1)).isIn("response.completed", "response.incomplete");
        for (int i = 0; i < events.size(); i++) {
            assertThat(events.get(i).getInteger("sequence_number")).isEqualTo(i);
        }
        assertThat(events.get(0).getJsonObject("response").getString("status")).isEqualTo("in_progress");
        assertThat(events.get(0).getJsonObject("response").getJsonArray("output")).isEmpty();
        String itemId = events.get(2).getJsonObject("item").getString("id");
        StringBuilder streamed = new StringBuilder();
        for (JsonObject e : events.subList(4, deltas + 1)) {
            assertThat(e.getString("item_id")).isEqualTo(itemId);
            assertThat(e.getInteger("output_index")).isZero();
            assertThat(e.getInteger("content_index")).isZero();
            streamed.append(e.getString("delta"));
        }
        assertThat(streamed.toString()).as("greedy output is the same streamed and with speculation").isEqualTo(whole);
        assertThat(events.get(deltas + 1).getString("text")).isEqualTo(whole);
        JsonObject last = events.get(events.size() - 1).getJsonObject("response");
        assertThat(text(last)).isEqualTo(whole);
        assertThat(last.getString("id")).isEqualTo(events.get(0).getJsonObject("response").getString("id"));
        assertThat(last.getJsonObject("usage").getInteger("output_tokens")).isBetween(1, 20);
    }

    @Test
    void a_cut_by_max_output_tokens_is_an_incomplete_response_with_the_reason() throws Exception {
        JsonObject request = greedy(2, "def fibonacci(n):");
        JsonObject response = ok(request);
        List<JsonObject> events = events(respond(request.copy().put("stream", true)));

        assertThat(response.getString("status")).isEqualTo("incomplete");
        assertThat(response.getJsonObject("incomplete_details"))
                .isEqualTo(new JsonObject().put("reason", "max_output_tokens"));
        assertThat(response.getJsonObject("usage").getInteger("output_tokens")).isEqualTo(2);
        assertThat(response.getJsonArray("output").getJsonObject(0).getString("status")).isEqualTo("incomplete");
        JsonObject last = events.get(events.size() - 1);
        assertThat(last.getString("type")).isEqualTo("response.incomplete");
        assertThat(last.getJsonObject("response").getJsonObject("incomplete_details").getString("reason"))
                .isEqualTo("max_output_tokens");
        assertThat(text(last.getJsonObject("response"))).isEqualTo(text(response));
    }

    @Test
    void a_json_schema_text_format_answers_an_instance_of_the_schema() throws Exception {
        JsonObject format = new JsonObject().put("type", "json_schema").put("name", "function")
                .put("schema", StructuredOutputApiTest.SCHEMA).put("strict", true);
        JsonObject response = ok(greedy(96, "Describe one function as JSON.")
                .put("text", new JsonObject().put("format", format)));
        JsonObject chat = chat(ChatCompletionsApiTest.greedy(96, "user", "Describe one function as JSON.")
                .put("response_format", StructuredOutputApiTest.responseFormat(StructuredOutputApiTest.SCHEMA)));

        StructuredOutputApiTest.assertInstance(text(response));
        assertThat(response.getJsonObject("usage").getInteger("input_tokens"))
                .isEqualTo(chat.getJsonObject("usage").getInteger("prompt_tokens"));
        assertThat(response.getJsonObject("text").getJsonObject("format")).isEqualTo(format);
    }

    @Test
    void a_tool_schema_the_constraint_cannot_serve_is_refused_at_that_tools_parameters_in_the_flat_form()
            throws Exception {
        JsonArray tools = TOOLS.copy().add(new JsonObject().put("type", "function").put("name", "pick")
                .put("parameters", new JsonObject("""
                        {"type": "object", "properties": {"n": {"type": "integer", "multipleOf": 3}}}""")));
        HttpResponse<Buffer> r = respond(greedy(8, "Pick one").put("tools", tools).put("tool_choice", "required"));

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("message"))
                .contains("'multipleOf'", "tools[2].parameters (function 'pick') #/properties/n").doesNotContain("anyOf");
    }

    static final JsonArray TOOLS = new JsonArray()
            .add(new JsonObject().put("type", "function").put("name", "get_weather").put("description", "Weather in a city")
                    .put("parameters", ChatToolCallsApiTest.TOOLS.getJsonObject(0).getJsonObject("function")
                            .getJsonObject("parameters")).put("strict", true))
            .add(new JsonObject().put("type", "function").put("name", "now"));

    @Test
    void a_named_function_tool_choice_answers_a_function_call_item_streamed_as_it_is_written() throws Exception {
        JsonObject request = greedy(64, "Weather in Paris?").put("tools", TOOLS)
                .put("tool_choice", new JsonObject().put("type", "function").put("name", "get_weather"));
        JsonObject response = ok(request);
        JsonObject chat = chat(ChatCompletionsApiTest.greedy(64, "user", "Weather in Paris?")
                .put("tools", ChatToolCallsApiTest.TOOLS).put("tool_choice", ChatToolCallsApiTest.named("get_weather")));
        List<JsonObject> events = events(respond(request.copy().put("stream", true)));

        assertThat(response.getString("status")).isEqualTo("completed");
        JsonArray output = response.getJsonArray("output");
        assertThat(output).hasSize(1);
        JsonObject call = output.getJsonObject(0);
        assertThat(call.getString("type")).isEqualTo("function_call");
        assertThat(call.getString("id")).startsWith("fc_");
        assertThat(call.getString("call_id")).startsWith("call_");
        assertThat(call.getString("name")).isEqualTo("get_weather");
        assertThat(call.getString("status")).isEqualTo("completed");
        JsonObject arguments = new JsonObject(call.getString("arguments"));
        assertThat(arguments.getString("city").length()).isLessThanOrEqualTo(20);
        assertThat(arguments.getString("unit")).isIn("celsius", "fahrenheit");
        assertThat(call.getString("arguments")).as("the chat API's call for the same conversation")
                .isEqualTo(chat.getJsonArray("choices").getJsonObject(0).getJsonObject("message")
                        .getJsonArray("tool_calls").getJsonObject(0).getJsonObject("function").getString("arguments"));
        assertThat(response.getJsonArray("tools")).isEqualTo(TOOLS);

        List<String> types = types(events);
        assertThat(types.get(2)).isEqualTo("response.output_item.added");
        assertThat(events.get(2).getJsonObject("item").getString("arguments")).isEmpty();
        assertThat(types.subList(3, types.size() - 3)).isNotEmpty()
                .containsOnly("response.function_call_arguments.delta");
        assertThat(types.subList(types.size() - 3, types.size())).containsExactly(
                "response.function_call_arguments.done", "response.output_item.done", "response.completed");
        StringBuilder streamed = new StringBuilder();
        events.stream().filter(e -> e.getString("type").endsWith("arguments.delta"))
                .forEach(e -> streamed.append(e.getString("delta")));
        assertThat(streamed.toString()).isEqualTo(call.getString("arguments"));
        assertThat(events.get(types.size() - 3).getString("arguments")).isEqualTo(call.getString("arguments"));
    }

    @Test
    void a_conversation_with_function_call_and_output_items_is_served_as_the_same_chat_with_its_usage()
            throws Exception {
        String arguments = "{\"city\": \"Oslo\", \"unit\": \"celsius\"}";
        JsonArray input = new JsonArray()
                .add(new JsonObject().put("role", "user").put("content", "Weather in Oslo, then the time."))
                .add(new JsonObject().put("type", "function_call").put("call_id", "call_1").put("name", "get_weather")
                        .put("arguments", arguments))
                .add(new JsonObject().put("type", "function_call_output").put("call_id", "call_1").put("output", "-3 C"));
        JsonArray messages = new JsonArray()
                .add(new JsonObject().put("role", "user").put("content", "Weather in Oslo, then the time."))
                .add(new JsonObject().put("role", "assistant").putNull("content").put("tool_calls", new JsonArray()
                        .add(new JsonObject().put("id", "call_1").put("type", "function").put("function",
                                new JsonObject().put("name", "get_weather").put("arguments", arguments)))))
                .add(new JsonObject().put("role", "tool").put("tool_call_id", "call_1").put("content", "-3 C"));

        JsonObject response = ok(greedy(96, input).put("tools", TOOLS).put("tool_choice", "required"));
        JsonObject chat = chat(new JsonObject().put("messages", messages).put("max_completion_tokens", 96)
                .put("temperature", 0).put("strategy", "none").put("tools", ChatToolCallsApiTest.TOOLS)
                .put("tool_choice", "required"));

        JsonObject usage = response.getJsonObject("usage");
        assertThat(usage.getInteger("input_tokens")).isEqualTo(chat.getJsonObject("usage").getInteger("prompt_tokens"));
        assertThat(usage.getInteger("output_tokens"))
                .isEqualTo(chat.getJsonObject("usage").getInteger("completion_tokens"));
        JsonObject message = chat.getJsonArray("choices").getJsonObject(0).getJsonObject("message");
        JsonArray output = response.getJsonArray("output");
        if (message.getJsonArray("tool_calls") != null) {
            assertThat(output).hasSize(message.getJsonArray("tool_calls").size());
            for (int i = 0; i < output.size(); i++) {
                JsonObject f = message.getJsonArray("tool_calls").getJsonObject(i).getJsonObject("function");
                assertThat(output.getJsonObject(i).getString("type")).isEqualTo("function_call");
                assertThat(output.getJsonObject(i).getString("name")).isEqualTo(f.getString("name"));
                assertThat(output.getJsonObject(i).getString("arguments")).isEqualTo(f.getString("arguments"));
            }
        } else { // cut short before a whole call: the calls written so far, incomplete
            assertThat(response.getString("status")).isEqualTo("incomplete");
            assertThat(output.getJsonObject(output.size() - 1).getString("status")).isEqualTo("incomplete");
        }
    }

    /**
     * previous_response_id continues a stored response: the answer is the one the whole conversation sent as input
     * gets (the earlier output included as an assistant item); stored responses are read and deleted by id, and one
     * sent with store false is not kept.
     */
    @Test
    void previous_response_id_continues_a_stored_response_as_the_whole_conversation_would() throws Exception {
        JsonObject first = ok(greedy(12, "def add(a, b):").put("instructions", "You write Python."));
        JsonObject next = ok(greedy(12, "Now subtract.").put("previous_response_id", first.getString("id")));
        JsonArray whole = new JsonArray()
                .add(new JsonObject().put("role", "user").put("content", "def add(a, b):"))
                .add(new JsonObject().put("role", "assistant").put("content", text(first)))
                .add(new JsonObject().put("role", "user").put("content", "Now subtract."));
        JsonObject resent = ok(greedy(12, whole));

        assertThat(next.getString("previous_response_id")).isEqualTo(first.getString("id"));
        assertThat(text(next)).isEqualTo(text(resent));
        assertThat(next.getJsonObject("usage").getInteger("input_tokens")).as("instructions are not carried over")
                .isEqualTo(resent.getJsonObject("usage").getInteger("input_tokens"));
        HttpResponse<Buffer> read = client.get("/v1/responses/" + next.getString("id")).send().await(60, SECONDS);
        assertThat(read.statusCode()).isEqualTo(200);
        assertThat(read.bodyAsJsonObject().getJsonArray("output")).isEqualTo(next.getJsonArray("output"));

        HttpResponse<Buffer> deleted = client.delete("/v1/responses/" + next.getString("id")).send().await(60, SECONDS);
        assertThat(deleted.bodyAsJsonObject().getBoolean("deleted")).isTrue();
        HttpResponse<Buffer> gone = client.get("/v1/responses/" + next.getString("id")).send().await(60, SECONDS);
        assertThat(gone.statusCode()).isEqualTo(404);
        assertThat(gone.bodyAsJsonObject().getJsonObject("error").getString("param")).isEqualTo("response_id");
        assertThat(server.metric("specserve_responses_stored")).isPositive();
        JsonObject unstored = ok(greedy(4, "x").put("store", false));
        assertThat(unstored.getBoolean("store")).isFalse();
        assertThat(client.get("/v1/responses/" + unstored.getString("id")).send().await(60, SECONDS).statusCode())
                .isEqualTo(404);
        HttpResponse<Buffer> afterUnstored = respond(greedy(4, "y").put("previous_response_id",
                unstored.getString("id")));
        assertThat(afterUnstored.statusCode()).isEqualTo(400);
    }

    /** Telemetry (round and finish events, logs) knows the request by its own id: a response id reads, continues and deletes. */
    @Test
    void a_stored_response_id_never_reaches_the_engine_or_its_listeners() throws Exception {
        List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        dev.specserve.runtime.engine.EngineListener spy = new dev.specserve.runtime.engine.EngineListener() {
            @Override
            public void onStarted(String requestId, long queueNanos, int promptTokens, int prefixHitTokens) {
                seen.add(requestId);
            }
        };
        server.engine.addListener(spy);
        JsonObject stored = ok(greedy(4, "def f():"));
        List<JsonObject> events = events(respond(greedy(4, "def g():").put("stream", true)));
        String streamed = events.get(events.size() - 1).getJsonObject("response").getString("id");

        assertThat(seen).hasSizeGreaterThanOrEqualTo(2).allMatch(id -> id.startsWith("req-"))
                .doesNotContain(stored.getString("id"), streamed);
    }

    @Test
    void a_streamed_response_is_stored_whole_once_it_completes() throws Exception {
        List<JsonObject> events = events(respond(greedy(8, "import os\n").put("stream", true)));
        JsonObject done = events.get(events.size() - 1).getJsonObject("response");

        JsonObject read = client.get("/v1/responses/" + done.getString("id")).send().await(60, SECONDS)
                .bodyAsJsonObject();

        assertThat(read.getJsonArray("output")).isEqualTo(done.getJsonArray("output"));
        assertThat(read.getString("status")).isEqualTo(done.getString("status"));
    }

    @Test
    void what_needs_a_store_or_a_hosted_tool_or_is_not_text_is_a_400_naming_the_field() throws Exception {
        JsonArray image = new JsonArray().add(new JsonObject().put("role", "user").put("content", new JsonArray()
                .add(new JsonObject().put("type", "input_text").put("text", "What is this?"))
                .add(new JsonObject().put("type", "input_image").put("image_url", "https://example.com/a.png"))));
        Map<String, JsonObject> refused = Map.of(
                "previous_response_id", greedy(4, "x").put("previous_response_id", "resp_123"),
                "tools", greedy(4, "x").put("tools", new JsonArray().add(new JsonObject().put("type", "web_search"))),
                "input", greedy(4, image),
                "conversation", greedy(4, "x").put("conversation", "conv_1"),
                "background", greedy(4, "x").put("background", true),
                "include", greedy(4, "x").put("include", new JsonArray().add("message.output_text.logprobs")),
                "reasoning", greedy(4, "x").put("reasoning", new JsonObject().put("effort", "high")),
                "tool_choice", greedy(4, "x").put("tools", TOOLS)
                        .put("tool_choice", new JsonObject().put("type", "web_search_preview")),
                "max_output_tokens", greedy(100_000, "x"),
                "text", greedy(4, "x").put("text", new JsonObject().put("format", new JsonObject()
                        .put("type", "json_schema").put("name", "x").put("schema", new JsonObject()
                                .put("type", "object").put("not", new JsonObject())))));
        double before = server.metric("specserve_requests_rejected_total{reason=\"invalid_previous_response_id\"}");
        for (Map.Entry<String, JsonObject> e : refused.entrySet()) {
            HttpResponse<Buffer> r = respond(e.getValue());
            assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(400);
            JsonObject error = r.bodyAsJsonObject().getJsonObject("error");
            assertThat(error.getString("param")).as(error.getString("message")).isEqualTo(e.getKey());
            assertThat(error.getString("type")).isEqualTo("invalid_request_error");
        }
        assertThat(server.metric("specserve_requests_rejected_total{reason=\"invalid_previous_response_id\"}"))
                .isEqualTo(before + 1);
        HttpResponse<Buffer> tooLong = respond(greedy(4, "x = 1\n".repeat(40_000)));
        assertThat(tooLong.bodyAsJsonObject().getJsonObject("error").getString("param")).isEqualTo("input");
        HttpResponse<Buffer> stream = respond(greedy(4, "x").put("stream", true).put("previous_response_id", "r"));
        assertThat(stream.statusCode()).as("refused while parsing: before any event").isEqualTo(400);
        HttpResponse<Buffer> streamTooLong = respond(greedy(4, "x = 1\n".repeat(40_000)).put("stream", true));
        assertThat(streamTooLong.statusCode()).as("refused by the engine before the stream began: a plain 400, as "
                + "OpenAI and vLLM answer").isEqualTo(400);
        assertThat(streamTooLong.bodyAsJsonObject().getJsonObject("error").getString("param")).isEqualTo("input");
        assertThat(streamTooLong.bodyAsJsonObject().getJsonObject("error").getString("message")).contains("context");
        assertThat(respond(greedy(2, "x").put("unknown_field", 1).put("parallel_tool_calls", true)).statusCode())
                .as("unknown fields are ignored, as by the chat API").isEqualTo(200);
        HttpResponse<Buffer> plainText = client.post("/v1/responses").putHeader("Content-Type", "text/plain")
                .sendBuffer(Buffer.buffer(greedy(2, "x").encode())).await(60, SECONDS);
        assertThat(plainText.statusCode()).as("the chat API's body guards").isEqualTo(415);
        HttpResponse<Buffer> otherModel = respond(greedy(2, "x").put("model", "gpt-4o"));
        assertThat(otherModel.statusCode()).isEqualTo(404);
        assertThat(otherModel.bodyAsJsonObject().getJsonObject("error").getString("param")).isEqualTo("model");
    }
}
