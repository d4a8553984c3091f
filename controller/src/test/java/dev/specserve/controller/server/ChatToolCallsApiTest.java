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
 * Chat tool calls against the real engine over HTTP, with a Hermes-style chat template (as Qwen's: the tools in
 * the system turn, calls written as {@code <tool_call>...</tool_call>}), from which the server reads the model's
 * call syntax: named and required tool choices (constrained output), and {@code "auto"}. The demo model was never
 * taught to call tools, so where an auto test needs a call it constrains the output to one with
 * {@code structured_outputs.regex}; what is parsed is still the model's text.
 */
class ChatToolCallsApiTest {
    static final String TEMPLATE = "{% if tools %}<|im_start|>system\nYou may call functions. <tools>"
            + "{% for t in tools %}{{ t['function'] | tojson }}{% endfor %}</tools> For each call write "
            + "<tool_call>{\"name\": <name>, \"arguments\": <args>}</tool_call><|im_end|>\n{% endif %}"
            + "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}{% if m['tool_calls'] %}"
            + "{% for c in m['tool_calls'] %}<tool_call>{{ c['function'] | tojson }}</tool_call>{% endfor %}{% endif %}"
            + "<|im_end|>\n{% endfor %}"
            + "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
    static final String CALL = "Checking\\.\n<tool_call>\n\\{\"name\": \"get_weather\", \"arguments\": \\{\"city\": "
            + "\"Paris\", \"unit\": \"celsius\"\\}\\}\n</tool_call>";

    @TempDir
    static Path models;
    static TestServer server;
    static Vertx clientVertx;
    static WebClient client;

    @BeforeAll
    static void start() throws IOException {
        TestServer.withChatTemplate(models, TEMPLATE);
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

    static JsonObject ask(String regex) {
        JsonObject body = new JsonObject().put("messages", new JsonArray().add(new JsonObject().put("role", "user")
                        .put("content", "Weather in Paris?"))).put("max_completion_tokens", 160).put("temperature", 0)
                .put("tools", TOOLS); // no tool_choice: "auto", the default with tools
        return regex == null ? body : body.put("structured_outputs", new JsonObject().put("regex", regex));
    }

    static HttpResponse<Buffer> chat(JsonObject body) throws Exception {
        return client.post("/v1/chat/completions").sendJsonObject(body).await(60, SECONDS);
    }

    @Test
    void a_call_the_model_writes_is_answered_as_tool_calls_with_the_text_before_it_as_content() throws Exception {
        HttpResponse<Buffer> r = chat(ask(CALL));

        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
        JsonObject choice = r.bodyAsJsonObject().getJsonArray("choices").getJsonObject(0);
        assertThat(choice.getString("finish_reason")).isEqualTo("tool_calls");
        JsonObject message = choice.getJsonObject("message");
        assertThat(message.getString("content")).isEqualTo("Checking.\n");
        assertThat(message.getJsonArray("tool_calls")).hasSize(1);
        JsonObject call = message.getJsonArray("tool_calls").getJsonObject(0);
        assertThat(call.getString("id")).startsWith("chatcmpl-tool-");
        assertThat(call.getString("type")).isEqualTo("function");
        assertThat(call.getJsonObject("function").getString("name")).isEqualTo("get_weather");
        JsonObject arguments = new JsonObject(call.getJsonObject("function").getString("arguments"));
        assertThat(arguments.getString("city")).matches("[A-Z][a-z]{2,8}");
        assertThat(arguments.getString("unit")).isEqualTo("celsius");
    }

    @Test
    void streamed_the_text_before_a_call_comes_as_content_and_the_call_whole_in_the_last_chunk() throws Exception {
        JsonObject whole = chat(ask(CALL)).bodyAsJsonObject().getJsonArray("choices").getJsonObject(0)
                .getJsonObject("message");
        HttpResponse<Buffer> r = chat(ask(CALL).put("stream", true));

        StringBuilder content = new StringBuilder();
        JsonArray calls = null;
        String finish = null;
        for (String data : HttpApiTest.events(r.bodyAsString())) {
            if (data.equals("[DONE]")) {
                continue;
            }
            JsonObject c = new JsonObject(data).getJsonArray("choices").getJsonObject(0);
            JsonObject delta = c.getJsonObject("delta");
            if (delta.getString("content") != null) {
                content.append(delta.getString("content"));
            }
            if (delta.getJsonArray("tool_calls") != null) {
                assertThat(calls).as("calls come once").isNull();
                calls = delta.getJsonArray("tool_calls");
            }
            finish = c.getString("finish_reason") != null ? c.getString("finish_reason") : finish;
        }
        assertThat(content.toString()).as("no call syntax leaks into content").isEqualTo("Checking.\n");
        assertThat(finish).isEqualTo("tool_calls");
        assertThat(calls).hasSize(1);
        JsonObject call = calls.getJsonObject(0);
        assertThat(call.getInteger("index")).isZero();
        assertThat(call.getString("id")).startsWith("chatcmpl-tool-");
        assertThat(call.getJsonObject("function").getString("name")).isEqualTo("get_weather");
        assertThat(call.getJsonObject("function").getString("arguments")).as("greedy: the same call")
                .isEqualTo(whole.getJsonArray("tool_calls").getJsonObject(0).getJsonObject("function")
                        .getString("arguments"));
    }

    @Test
    void text_without_a_call_is_an_ordinary_answer_streamed_or_not() throws Exception {
        JsonObject choice = chat(ask(null).put("max_completion_tokens", 12)).bodyAsJsonObject()
                .getJsonArray("choices").getJsonObject(0);
        HttpResponse<Buffer> streamed = chat(ask(null).put("max_completion_tokens", 12).put("stream", true));

        assertThat(choice.getString("finish_reason")).isIn("length", "stop");
        assertThat(choice.getJsonObject("message").getValue("tool_calls")).isNull();
        String text = choice.getJsonObject("message").getString("content");
        assertThat(text).isNotEmpty().doesNotContain("<tool_call>");
        StringBuilder content = new StringBuilder();
        for (String data : HttpApiTest.events(streamed.bodyAsString())) {
            if (!data.equals("[DONE]")) {
                JsonObject delta = new JsonObject(data).getJsonArray("choices").getJsonObject(0).getJsonObject("delta");
                assertThat(delta.getValue("tool_calls")).isNull();
                content.append(delta.getString("content", ""));
            }
        }
        assertThat(content.toString()).as("greedy: the same text, none held back").isEqualTo(text);
    }

    @Test
    void a_call_to_a_function_not_in_tools_stays_text() throws Exception {
        String unlisted = "<tool_call>\n\\{\"name\": \"delete_everything\", \"arguments\": \\{\\}\\}\n</tool_call>";
        JsonObject choice = chat(ask(unlisted)).bodyAsJsonObject().getJsonArray("choices").getJsonObject(0);
        HttpResponse<Buffer> streamed = chat(ask(unlisted).put("stream", true));

        assertThat(choice.getString("finish_reason")).isEqualTo("stop");
        assertThat(choice.getJsonObject("message").getValue("tool_calls")).isNull();
        assertThat(choice.getJsonObject("message").getString("content"))
                .isEqualTo("<tool_call>\n{\"name\": \"delete_everything\", \"arguments\": {}}\n</tool_call>");
        StringBuilder content = new StringBuilder();
        for (String data : HttpApiTest.events(streamed.bodyAsString())) {
            if (!data.equals("[DONE]")) {
                content.append(new JsonObject(data).getJsonArray("choices").getJsonObject(0).getJsonObject("delta")
                        .getString("content", ""));
            }
        }
        assertThat(content.toString()).as("held back while it might be a call, then sent as text")
                .isEqualTo(choice.getJsonObject("message").getString("content"));
    }

    @Test
    void the_responses_api_answers_the_text_before_a_call_as_a_message_item_then_the_call_streamed_or_not()
            throws Exception {
        // the whole call forced: the demo model's letters for a city are near ties, which may fall either way
        // between two requests (one prefilled afresh, one from the prefix cache)
        String call = CALL.replace("Paris", "Rome");
        JsonObject request = new JsonObject().put("input", "Weather in Rome?").put("max_output_tokens", 160)
                .put("temperature", 0).put("tools", ResponsesApiTest.TOOLS)
                .put("structured_outputs", new JsonObject().put("regex", call));
        HttpResponse<Buffer> whole = client.post("/v1/responses").sendJsonObject(request).await(60, SECONDS);
        HttpResponse<Buffer> streamed = client.post("/v1/responses").sendJsonObject(request.copy().put("stream", true))
                .await(60, SECONDS);

        assertThat(whole.statusCode()).as(whole.bodyAsString()).isEqualTo(200);
        JsonArray output = whole.bodyAsJsonObject().getJsonArray("output");
        assertThat(output).hasSize(2);
        assertThat(ResponsesApiTest.text(whole.bodyAsJsonObject())).isEqualTo("Checking.\n");
        JsonObject item = output.getJsonObject(1);
        assertThat(item.getString("type")).isEqualTo("function_call");
        assertThat(item.getString("name")).isEqualTo("get_weather");
        assertThat(new JsonObject(item.getString("arguments")))
                .isEqualTo(new JsonObject().put("city", "Rome").put("unit", "celsius"));
        List<JsonObject> events = ResponsesApiTest.events(streamed);
        List<String> types = ResponsesApiTest.types(events);
        int firstDelta = types.indexOf("response.output_text.delta");
        int lastDelta = types.lastIndexOf("response.output_text.delta");
        assertThat(types.subList(0, firstDelta)).containsExactly("response.created", "response.in_progress",
                "response.output_item.added", "response.content_part.added");
        assertThat(types.subList(firstDelta, lastDelta + 1)).containsOnly("response.output_text.delta");
        assertThat(types.subList(lastDelta + 1, types.size())).as("the call comes whole after the text")
                .containsExactly("response.output_text.done", "response.content_part.done",
                        "response.output_item.done", "response.output_item.added",
                        "response.function_call_arguments.delta", "response.function_call_arguments.done",
                        "response.output_item.done", "response.completed");
        StringBuilder text = new StringBuilder();
        events.subList(firstDelta, lastDelta + 1).forEach(e -> text.append(e.getString("delta")));
        assertThat(text.toString()).as("no call syntax leaks into the text").isEqualTo("Checking.\n");
        JsonObject streamedCall = events.get(events.size() - 2).getJsonObject("item");
        assertThat(events.get(events.size() - 2).getInteger("output_index")).isEqualTo(1);
        assertThat(streamedCall.getString("arguments")).isEqualTo(item.getString("arguments"));
    }

    static final JsonArray TOOLS = new JsonArray()
            .add(new JsonObject().put("type", "function").put("function", new JsonObject().put("name", "get_weather")
                    .put("description", "Weather in a city").put("parameters", new JsonObject("""
                            {"type": "object", "properties": {"city": {"type": "string", "maxLength": 20},
                             "unit": {"enum": ["celsius", "fahrenheit"]}}, "required": ["city", "unit"]}"""))))
            .add(new JsonObject().put("type", "function").put("function", new JsonObject().put("name", "now")));

    @Test
    void a_tool_schema_the_constraint_cannot_serve_is_refused_at_that_tools_own_parameters() throws Exception {
        JsonArray tools = TOOLS.copy().add(new JsonObject().put("type", "function").put("function", new JsonObject()
                .put("name", "pick").put("parameters", new JsonObject("""
                        {"type": "object", "properties": {"n": {"type": "integer", "multipleOf": 3}}}"""))));
        JsonObject body = ask(null).put("tools", tools).put("max_completion_tokens", 8);
        String required = chat(body.copy().put("tool_choice", "required")).bodyAsJsonObject().getJsonObject("error")
                .getString("message");
        String named = chat(body.copy().put("tool_choice", new JsonObject().put("type", "function")
                .put("function", new JsonObject().put("name", "pick")))).bodyAsJsonObject().getJsonObject("error")
                .getString("message");

        for (String message : List.of(required, named)) {
            assertThat(message).contains("'multipleOf'", "tools[2].function.parameters (function 'pick') #/properties/n")
                    .doesNotContain("anyOf");
        }
    }

    @Test
    void a_required_call_whose_parameters_refer_to_their_own_defs_as_pydantic_writes_them_is_served() throws Exception {
        JsonArray tools = TOOLS.copy().add(new JsonObject().put("type", "function").put("function", new JsonObject()
                .put("name", "book").put("parameters", new JsonObject("""
                        {"type": "object", "properties": {"guest": {"$ref": "#/$defs/Guest"}}, "required": ["guest"],
                         "$defs": {"Guest": {"type": "object", "properties": {"name": {"type": "string",
                                   "maxLength": 12}}, "required": ["name"]}}}"""))));
        HttpResponse<Buffer> r = chat(ask(null).put("tools", tools).put("tool_choice", "required")
                .put("max_completion_tokens", 96));

        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
        assertThat(r.bodyAsJsonObject().getJsonArray("choices").getJsonObject(0).getJsonObject("message")
                .getJsonArray("tool_calls")).isNotEmpty();
    }

    @Test
    void parallel_tool_calls_false_answers_one_call_at_most_as_vllm_does() throws Exception {
        String twoCalls = CALL + "\n<tool_call>\n\\{\"name\": \"now\", \"arguments\": \\{\\}\\}\n</tool_call>";
        JsonArray both = chat(ask(twoCalls)).bodyAsJsonObject().getJsonArray("choices").getJsonObject(0)
                .getJsonObject("message").getJsonArray("tool_calls");
        JsonArray first = chat(ask(twoCalls).put("parallel_tool_calls", false)).bodyAsJsonObject()
                .getJsonArray("choices").getJsonObject(0).getJsonObject("message").getJsonArray("tool_calls");

        assertThat(both).hasSize(2);
        assertThat(first).as("auto: the first call the model wrote").hasSize(1);
        assertThat(first.getJsonObject(0).getJsonObject("function").getString("name")).isEqualTo("get_weather");

        JsonObject required = chat(new JsonObject().put("messages", new JsonArray().add(new JsonObject()
                        .put("role", "user").put("content", "What time is it?"))).put("max_completion_tokens", 160)
                .put("temperature", 0).put("tools", TOOLS).put("tool_choice", "required")
                .put("parallel_tool_calls", false)).bodyAsJsonObject().getJsonArray("choices").getJsonObject(0);
        assertThat(required.getString("finish_reason")).as("required: the array closes after one call")
                .isEqualTo("tool_calls");
        assertThat(required.getJsonObject("message").getJsonArray("tool_calls")).hasSize(1);
    }

    static JsonObject named(String name) {
        return new JsonObject().put("type", "function").put("function", new JsonObject().put("name", name));
    }

    @Test
    void a_named_tool_choice_answers_with_a_call_whose_arguments_fit_the_functions_parameters() throws Exception {
        HttpResponse<Buffer> r = chat(ChatCompletionsApiTest.greedy(64, "user", "Weather in Paris?").put("tools", TOOLS)
                .put("tool_choice", named("get_weather")));

        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
        JsonObject choice = r.bodyAsJsonObject().getJsonArray("choices").getJsonObject(0);
        assertThat(choice.getString("finish_reason")).isEqualTo("tool_calls");
        JsonObject message = choice.getJsonObject("message");
        assertThat(message.getValue("content")).isNull();
        JsonObject call = message.getJsonArray("tool_calls").getJsonObject(0);
        assertThat(call.getString("id")).startsWith("chatcmpl-tool-");
        assertThat(call.getString("type")).isEqualTo("function");
        assertThat(call.getJsonObject("function").getString("name")).isEqualTo("get_weather");
        JsonObject arguments = new JsonObject(call.getJsonObject("function").getString("arguments"));
        assertThat(arguments.getString("city").length()).isLessThanOrEqualTo(20);
        assertThat(arguments.getString("unit")).isIn("celsius", "fahrenheit");

        HttpResponse<Buffer> streamed = chat(ChatCompletionsApiTest.greedy(64, "user", "Weather in Paris?").put("tools", TOOLS)
                .put("tool_choice", named("get_weather")).put("stream", true));
        StringBuilder streamedArguments = new StringBuilder();
        List<JsonObject> calls = new ArrayList<>();
        JsonObject last = null;
        for (String line : streamed.bodyAsString().split("\n")) {
            if (line.startsWith("data: {")) {
                JsonObject chunk = new JsonObject(line.substring(6));
                JsonObject delta = chunk.getJsonArray("choices").getJsonObject(0).getJsonObject("delta");
                assertThat(delta.getValue("content")).as("no call text streamed as content").isIn(null, "");
                if (delta.getJsonArray("tool_calls") != null) {
                    JsonObject c = delta.getJsonArray("tool_calls").getJsonObject(0);
                    calls.add(c);
                    streamedArguments.append(c.getJsonObject("function").getString("arguments"));
                }
                last = chunk;
            }
        }
        assertThat(calls.size()).as("arguments stream as they are written").isGreaterThan(1);
        assertThat(calls.get(0).getString("id")).startsWith("chatcmpl-tool-");
        assertThat(calls.get(0).getJsonObject("function").getString("name")).isEqualTo("get_weather");
        assertThat(calls.get(1).getString("id")).as("only the first delta names the call").isNull();
        assertThat(calls).allSatisfy(c -> assertThat(c.getInteger("index")).isZero());
        assertThat(streamedArguments.toString()).as("greedy: the same call")
                .isEqualTo(call.getJsonObject("function").getString("arguments"));
        assertThat(last.getJsonArray("choices").getJsonObject(0).getString("finish_reason")).isEqualTo("tool_calls");
    }

    @Test
    void a_required_tool_choice_calls_listed_functions_and_a_conversation_may_carry_calls_and_results()
            throws Exception {
        JsonArray messages = new JsonArray()
                .add(new JsonObject().put("role", "user").put("content", "Weather in Oslo, then the time."))
                .add(new JsonObject().put("role", "assistant").putNull("content").put("tool_calls", new JsonArray()
                        .add(new JsonObject().put("id", "call_1").put("type", "function").put("function",
                                new JsonObject().put("name", "get_weather")
                                        .put("arguments", "{\"city\": \"Oslo\", \"unit\": \"celsius\"}")))))
                .add(new JsonObject().put("role", "tool").put("tool_call_id", "call_1").put("content", "-3 C"));
        HttpResponse<Buffer> r = chat(new JsonObject().put("messages", messages).put("max_completion_tokens", 96)
                .put("temperature", 0).put("tools", TOOLS).put("tool_choice", "required"));

        HttpResponse<Buffer> streamed = chat(new JsonObject().put("messages", messages).put("max_completion_tokens", 96)
                .put("temperature", 0).put("tools", TOOLS).put("tool_choice", "required").put("stream", true));

        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
        JsonObject choice = r.bodyAsJsonObject().getJsonArray("choices").getJsonObject(0);
        List<String> streamedCalls = streamedCalls(streamed.bodyAsString());
        assertThat(streamedCalls).as("streamed as they are written").isNotEmpty();
        boolean whole = "tool_calls".equals(choice.getString("finish_reason"));
        assertThat(choice.getString("finish_reason")).isIn("tool_calls", "length");
        JsonArray calls = choice.getJsonObject("message").getJsonArray("tool_calls");
        List<String> answered = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
            JsonObject f = calls.getJsonObject(i).getJsonObject("function");
            assertThat(f.getString("name")).isIn("get_weather", "now");
            if (whole || i < calls.size() - 1) { // cut short by max_completion_tokens: the last call's arguments
                assertThat(new JsonObject(f.getString("arguments"))).isNotNull();
            }
            answered.add("{\"name\": \"" + f.getString("name") + "\", \"parameters\": " + f.getString("arguments"));
        }
        assertThat(streamedCalls).as("greedy: the same calls streamed or not, whole or cut short")
                .containsExactlyElementsOf(answered);
    }

    /** Cut short by max_tokens at any point: streamed or not, the same calls (or text) and the same finish_reason. */
    @Test
    void calls_cut_short_by_max_tokens_answer_what_the_stream_sent() throws Exception {
        int cut = 0;
        for (Object choice : new Object[] {"required", named("get_weather")}) {
            for (int max : new int[] {8, 16, 24, 32}) {
                JsonObject ask = ask(null).put("max_completion_tokens", max).put("tool_choice", choice);
                JsonObject answer = chat(ask.copy()).bodyAsJsonObject().getJsonArray("choices").getJsonObject(0);
                HttpResponse<Buffer> stream = chat(ask.copy().put("stream", true));
                List<String> streamed = streamedCalls(stream.bodyAsString());

                JsonArray calls = answer.getJsonObject("message").getJsonArray("tool_calls");
                List<String> answered = new ArrayList<>();
                for (int i = 0; calls != null && i < calls.size(); i++) {
                    JsonObject f = calls.getJsonObject(i).getJsonObject("function");
                    answered.add("{\"name\": \"" + f.getString("name") + "\", \"parameters\": " + f.getString("arguments"));
                }
                String as = choice + " with max_completion_tokens " + max;
                assertThat(streamed).as(as).containsExactlyElementsOf(answered);
                assertThat(answer.getString("finish_reason")).as(as).isEqualTo(finishReason(stream.bodyAsString()));
                cut += "length".equals(answer.getString("finish_reason")) && calls != null ? 1 : 0;
            }
        }
        assertThat(cut).as("some answers were calls cut short").isPositive();
    }

    static String finishReason(String stream) {
        String reason = null;
        for (String data : HttpApiTest.events(stream)) {
            if (!data.equals("[DONE]")) {
                JsonArray choices = new JsonObject(data).getJsonArray("choices");
                if (!choices.isEmpty() && choices.getJsonObject(0).getString("finish_reason") != null) {
                    reason = choices.getJsonObject(0).getString("finish_reason");
                }
            }
        }
        return reason;
    }

    static JsonArray conversationWithCall(Object arguments) {
        JsonObject function = new JsonObject().put("name", "get_weather");
        if (arguments != null) {
            function.put("arguments", arguments);
        }
        return new JsonArray()
                .add(new JsonObject().put("role", "user").put("content", "Weather in Oslo?"))
                .add(new JsonObject().put("role", "assistant").putNull("content").put("tool_calls", new JsonArray()
                        .add(new JsonObject().put("id", "call_1").put("type", "function").put("function", function))))
                .add(new JsonObject().put("role", "tool").put("tool_call_id", "call_1").put("content", "-3 C"));
    }

    static String rendered(JsonArray messages) throws Exception {
        HttpResponse<Buffer> tokens = client.post("/tokenize").sendJsonObject(new JsonObject()
                .put("messages", messages).put("add_generation_prompt", false)).await(30, SECONDS);
        assertThat(tokens.statusCode()).as(tokens.bodyAsString()).isEqualTo(200);
        return client.post("/detokenize").sendJsonObject(new JsonObject().put("tokens",
                tokens.bodyAsJsonObject().getJsonArray("tokens"))).await(30, SECONDS).bodyAsJsonObject().getString("prompt");
    }

    @Test
    void an_earlier_calls_arguments_reach_the_template_as_an_object_not_as_quoted_json_text() throws Exception {
        String asText = rendered(conversationWithCall("{\"city\": \"Oslo\"}"));
        String asObject = rendered(conversationWithCall(new JsonObject().put("city", "Oslo")));

        // templates write arguments | tojson: on the text OpenAI clients send, that would be a quoted string
        assertThat(asText).contains("<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}")
                .doesNotContain("\\\"");
        assertThat(asObject).isEqualTo(asText);
        assertThat(rendered(conversationWithCall(null))).as("no arguments: an empty object")
                .contains("\"arguments\": {}");
    }

    @Test
    void tokenize_counts_a_chat_with_its_tools_as_the_chat_request_renders_it() throws Exception {
        JsonObject request = ask(null).put("max_completion_tokens", 1);
        int prompt = chat(request).bodyAsJsonObject().getJsonObject("usage").getInteger("prompt_tokens");
        HttpResponse<Buffer> counted = client.post("/tokenize").sendJsonObject(new JsonObject()
                .put("messages", request.getJsonArray("messages")).put("tools", TOOLS)).await(30, SECONDS);
        HttpResponse<Buffer> ownTemplate = client.post("/tokenize").sendJsonObject(new JsonObject()
                .put("messages", request.getJsonArray("messages")).put("chat_template", "{{ 'x' }}")).await(30, SECONDS);

        assertThat(counted.bodyAsJsonObject().getInteger("count")).isEqualTo(prompt);
        assertThat(ownTemplate.statusCode()).as("refused as chat refuses it, not ignored").isEqualTo(400);
        assertThat(ownTemplate.bodyAsJsonObject().getJsonObject("error").getString("param")).isEqualTo("chat_template");
    }

    @Test
    void an_earlier_call_cut_short_by_the_token_limit_reaches_the_template_as_its_text_and_the_conversation_goes_on()
            throws Exception {
        String cutShort = "{\"city\": \"Os";
        HttpResponse<Buffer> r = chat(new JsonObject().put("messages", conversationWithCall(cutShort))
                .put("max_completion_tokens", 4));

        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
        assertThat(rendered(conversationWithCall(cutShort))).contains("\"arguments\": \"{\\\"city\\\": \\\"Os\"");
    }

    /** Each call a stream sent, written back as the constrained text lays it out, from its name and arguments. */
    static List<String> streamedCalls(String body) {
        List<StringBuilder> calls = new ArrayList<>();
        for (String data : HttpApiTest.events(body)) {
            if (data.equals("[DONE]")) {
                continue;
            }
            JsonArray deltas = new JsonObject(data).getJsonArray("choices").getJsonObject(0).getJsonObject("delta")
                    .getJsonArray("tool_calls");
            for (int i = 0; deltas != null && i < deltas.size(); i++) {
                JsonObject d = deltas.getJsonObject(i);
                if (d.getString("id") != null) {
                    calls.add(new StringBuilder("{\"name\": \"" + d.getJsonObject("function").getString("name")
                            + "\", \"parameters\": "));
                }
                calls.get(d.getInteger("index")).append(d.getJsonObject("function").getString("arguments"));
            }
        }
        return calls.stream().map(StringBuilder::toString).toList();
    }

    @Test
    void a_function_without_parameters_is_called_with_no_arguments_and_a_developer_message_is_a_system_one()
            throws Exception {
        HttpResponse<Buffer> r = chat(ChatCompletionsApiTest.greedy(16, "developer", "Be brief.", "user", "Time?").put("tools", TOOLS)
                .put("tool_choice", named("now")));
        HttpResponse<Buffer> system = chat(ChatCompletionsApiTest.greedy(16, "system", "Be brief.", "user", "Time?").put("tools", TOOLS)
                .put("tool_choice", named("now")));

        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
        JsonObject message = r.bodyAsJsonObject().getJsonArray("choices").getJsonObject(0).getJsonObject("message");
        assertThat(message.getJsonArray("tool_calls").getJsonObject(0).getJsonObject("function").getString("arguments"))
                .isEqualTo("{}");
        assertThat(r.bodyAsJsonObject().getJsonObject("usage").getInteger("prompt_tokens"))
                .isEqualTo(system.bodyAsJsonObject().getJsonObject("usage").getInteger("prompt_tokens"));
    }
}
