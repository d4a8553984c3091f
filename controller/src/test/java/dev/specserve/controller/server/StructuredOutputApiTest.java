package dev.specserve.controller.server;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.runtime.grammar.OutputGrammar;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Structured outputs as clients send them: OpenAI's response_format json_schema (completions and the event bus; chat
 * in ChatCompletionsApiTest),
 * vLLM's guided_json, guided_choice and structured_outputs. The answer is an instance of the schema (or, cut short by
 * max_tokens, the start of one), the same under every strategy; a schema that is not served is refused naming why.
 */
class StructuredOutputApiTest {
    static TestServer server;
    static WebClient client;
    static final String PROMPT = "# one function of this module, as JSON\n";
    static final JsonObject SCHEMA = new JsonObject("""
            {"type": "object", "properties": {
               "name": {"type": "string", "maxLength": 16},
               "args": {"type": "array", "items": {"type": "string", "maxLength": 8}, "maxItems": 3},
               "returns": {"enum": ["int", "str", "None"]}},
             "required": ["name", "args", "returns"], "additionalProperties": false}""");

    @BeforeAll
    static void start() {
        server = TestServer.start();
        client = server.client();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static HttpResponse<Buffer> post(String path, JsonObject body) throws Exception {
        return client.post(path).sendJsonObject(body).await(60, SECONDS);
    }

    static JsonObject completion(JsonObject body) throws Exception {
        HttpResponse<Buffer> r = post("/v1/completions", body);
        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
        return r.bodyAsJsonObject().getJsonArray("choices").getJsonObject(0);
    }

    static JsonObject greedy(String strategy, int maxTokens) {
        return new JsonObject().put("prompt", PROMPT).put("max_tokens", maxTokens).put("temperature", 0)
                .put("strategy", strategy);
    }

    /** As the OpenAI SDKs send a Pydantic model's schema. */
    static JsonObject responseFormat(JsonObject schema) {
        return new JsonObject().put("type", "json_schema").put("json_schema", new JsonObject().put("name", "function")
                .put("strict", true).put("schema", schema));
    }

    /** The text is an instance of SCHEMA: it parses, and has what the schema requires. */
    static void assertInstance(String text) {
        JsonObject doc = new JsonObject(text);
        assertThat(doc.fieldNames()).as(text).containsExactlyInAnyOrder("name", "args", "returns");
        assertThat(doc.getString("name").length()).isLessThanOrEqualTo(16);
        assertThat(doc.getJsonArray("args").size()).isLessThanOrEqualTo(3);
        assertThat(doc.getString("returns")).isIn("int", "str", "None");
    }

    @Test
    void a_json_schema_answer_is_an_instance_of_it_under_every_strategy_alike() throws Exception {
        Set<String> texts = new HashSet<>();
        for (String strategy : List.of("none", "suffix", "auto")) {
            JsonObject choice = completion(greedy(strategy, 96).put("response_format", responseFormat(SCHEMA)));
            texts.add(choice.getString("text"));
            assertThat(choice.getString("finish_reason")).as(choice.getString("text")).isEqualTo("stop");
            assertInstance(choice.getString("text"));
        }
        assertThat(texts).as("greedy: one text under every strategy").hasSize(1);
        JsonObject vllm = completion(greedy("auto", 96).put("guided_json", SCHEMA));
        assertThat(vllm.getString("text")).as("vLLM's guided_json constrains alike").isEqualTo(texts.iterator().next());
        JsonObject newer = completion(greedy("auto", 96).put("structured_outputs", new JsonObject().put("json",
                SCHEMA.encode())));
        assertThat(newer.getString("text")).as("structured_outputs.json, as JSON text").isEqualTo(vllm.getString("text"));
    }

    @Test
    void cut_short_by_max_tokens_the_answer_is_the_start_of_an_instance() throws Exception {
        JsonObject choice = completion(greedy("auto", 6).put("response_format", responseFormat(SCHEMA)));

        assertThat(choice.getString("finish_reason")).isEqualTo("length");
        var state = OutputGrammar.jsonSchema(SCHEMA.encode(), "response_format").start();
        assertThat(state.acceptAll(choice.getString("text").getBytes(StandardCharsets.UTF_8))).isTrue();
    }

    @Test
    void a_choice_answers_exactly_one_of_the_choices() throws Exception {
        List<String> choices = List.of("def", "class", "import");
        JsonObject guided = completion(greedy("auto", 8).put("guided_choice", new JsonArray(choices)));
        JsonObject structured = completion(greedy("none", 8).put("structured_outputs",
                new JsonObject().put("choice", new JsonArray(choices))));

        assertThat(guided.getString("text")).isIn(choices);
        assertThat(guided.getString("finish_reason")).isEqualTo("stop");
        assertThat(structured.getString("text")).isEqualTo(guided.getString("text"));
    }

    @Test
    void a_regex_answer_matches_it_in_full_and_a_schema_pattern_constrains_its_string() throws Exception {
        String regex = "(def|class) [a-z_]{1,12}\\((self)?\\)";
        JsonObject guided = completion(greedy("auto", 24).put("guided_regex", regex));
        JsonObject structured = completion(greedy("none", 24).put("structured_outputs", new JsonObject().put("regex",
                regex)));

        assertThat(guided.getString("text")).matches(regex);
        assertThat(guided.getString("finish_reason")).isEqualTo("stop");
        assertThat(structured.getString("text")).isEqualTo(guided.getString("text"));
        JsonObject schema = new JsonObject().put("type", "object").put("properties", new JsonObject()
                .put("id", new JsonObject().put("type", "string").put("pattern", "^[a-z]{2,6}-[0-9]{1,3}$")))
                .put("required", new JsonArray().add("id"));
        String text = completion(greedy("auto", 32).put("response_format", responseFormat(schema))).getString("text");
        assertThat(new JsonObject(text).getString("id")).matches("[a-z]{2,6}-[0-9]{1,3}");
    }

    @Test
    void load_sends_a_constraint_with_every_request_through_extra_body() {
        String ok = new JsonObject().put("response_format", responseFormat(SCHEMA)).encode();
        String refused = new JsonObject().put("guided_regex", "a(?=b)").encode();
        String[] common = {"load", "--url", "http://127.0.0.1:" + server.httpPort(), "--requests", "2",
                "--concurrency", "1", "--warmup", "0", "--max-tokens", "8", "--extra-body"};

        assertThat(dev.specserve.controller.cli.Main.run(concat(common, ok))).as("served").isZero();
        assertThat(dev.specserve.controller.cli.Main.run(concat(common, refused))).as("every request refused, so the "
                + "body reached the server").isEqualTo(1);
        assertThat(dev.specserve.controller.cli.Main.run(concat(common, "{\"max_tokens\": 3}")))
                .as("a field load sets itself").isNotZero();
    }

    static String[] concat(String[] a, String last) {
        String[] out = java.util.Arrays.copyOf(a, a.length + 1);
        out[a.length] = last;
        return out;
    }

    @Test
    void the_event_bus_takes_response_format_too() throws Exception {
        JsonObject request = greedy("auto", 96).put("response_format", responseFormat(SCHEMA));

        JsonObject reply = (JsonObject) server.server.vertx().eventBus().request(EventBusApiVerticle.GENERATE, request,
                new DeliveryOptions().setSendTimeout(60_000)).await(60, SECONDS).body();

        assertInstance(reply.getString("text"));
    }

    @Test
    void a_schema_keyword_not_served_is_refused_naming_it_and_the_server_keeps_serving() throws Exception {
        JsonObject schema = new JsonObject().put("type", "object").put("properties", new JsonObject()
                .put("id", new JsonObject().put("type", "integer").put("multipleOf", 2)));

        HttpResponse<Buffer> r = post("/v1/completions", greedy("auto", 8).put("response_format", responseFormat(schema)));

        assertThat(r.statusCode()).isEqualTo(400);
        JsonObject error = r.bodyAsJsonObject().getJsonObject("error");
        assertThat(error.getString("param")).isEqualTo("response_format");
        assertThat(error.getString("message")).contains("'multipleOf'", "#/properties/id");
        assertThat(completion(greedy("auto", 4)).getString("text")).isNotNull();
    }
}
