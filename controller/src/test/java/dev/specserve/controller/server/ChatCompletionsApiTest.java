package dev.specserve.controller.server;

import static java.util.concurrent.TimeUnit.SECONDS;
import static dev.specserve.controller.server.ChatToolCallsApiTest.TOOLS;
import static dev.specserve.controller.server.ChatToolCallsApiTest.named;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /v1/chat/completions} against the real engine, through a real HTTP client: the test models in a
 * model directory that also holds a {@code tokenizer_config.json} with a small ChatML template.
 */
class ChatCompletionsApiTest {
    static final String TEMPLATE = "{% for m in messages %}"
            + "{% if m['role'] == 'system' and not loop.first %}"
            + "{{ raise_exception('the system message must come first') }}{% endif %}"
            + "<|im_start|>{{ m['role'] }}\n{{ m['content'] | trim }}<|im_end|>\n"
            + "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

    @TempDir
    static Path models;
    static TestServer server;
    static Vertx clientVertx;
    static WebClient client;

    @BeforeAll
    static void start() throws IOException {
        TestServer.withChatTemplate(models, TEMPLATE);
        // one running and one waiting request at most, so a burst meets admission control
        server = TestServer.start(Map.of("max_batch", "1", "queue_capacity", "1"), models);
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

    @AfterEach
    void theServerStillServes() throws Exception {
        HttpResponse<Buffer> good = chat(greedy(4, "user", "x = 1"));
        assertThat(good.statusCode()).as("a good chat request after each test").isEqualTo(200);
    }

    static JsonObject greedy(int maxTokens, String... roleThenContent) {
        JsonArray messages = new JsonArray();
        for (int i = 0; i < roleThenContent.length; i += 2) {
            messages.add(new JsonObject().put("role", roleThenContent[i]).put("content", roleThenContent[i + 1]));
        }
        return new JsonObject().put("messages", messages).put("max_completion_tokens", maxTokens)
                .put("temperature", 0).put("strategy", "none");
    }

    static HttpResponse<Buffer> chat(JsonObject body) throws Exception {
        return client.post("/v1/chat/completions").sendJsonObject(body).await(60, SECONDS);
    }

    static HttpResponse<Buffer> post(String path, JsonObject body) throws Exception {
        return client.post(path).sendJsonObject(body).await(60, SECONDS);
    }

    @Test
    void json_mode_makes_the_assistant_answer_a_json_object() throws Exception {
        HttpResponse<Buffer> r = chat(greedy(48, "user", "Give me a config.")
                .put("response_format", new JsonObject().put("type", "json_object")));

        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
        String content = r.bodyAsJsonObject().getJsonArray("choices").getJsonObject(0).getJsonObject("message")
                .getString("content");
        assertThat(new dev.specserve.runtime.grammar.JsonObjectGrammar().acceptAll(
                content.getBytes(java.nio.charset.StandardCharsets.UTF_8))).as(content).isTrue();
    }

    @Test
    void chat_takes_the_openai_sdks_json_schema_response_format() throws Exception {
        HttpResponse<Buffer> r = chat(greedy(96, "user", "Describe one function as JSON.")
                .put("response_format", StructuredOutputApiTest.responseFormat(StructuredOutputApiTest.SCHEMA)));

        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
        StructuredOutputApiTest.assertInstance(r.bodyAsJsonObject().getJsonArray("choices").getJsonObject(0)
                .getJsonObject("message").getString("content"));
    }

    @Test
    void logprob_bytes_are_each_tokens_own_so_the_pieces_of_a_character_join_back_into_it() throws Exception {
        JsonObject body = greedy(16, "user", "Greet me.").put("logprobs", true).put("top_logprobs", 2)
                .put("structured_outputs", new JsonObject().put("regex", "你好世界"));
        JsonObject choice = chat(body).bodyAsJsonObject().getJsonArray("choices").getJsonObject(0);

        assertThat(choice.getJsonObject("message").getString("content")).isEqualTo("你好世界");
        java.io.ByteArrayOutputStream joined = new java.io.ByteArrayOutputStream();
        JsonArray content = choice.getJsonObject("logprobs").getJsonArray("content");
        for (int i = 0; i < content.size(); i++) {
            JsonArray bytes = content.getJsonObject(i).getJsonArray("bytes");
            for (int j = 0; j < bytes.size(); j++) {
                joined.write(bytes.getInteger(j));
            }
        }
        assertThat(joined.toString(java.nio.charset.StandardCharsets.UTF_8)).as("not U+FFFD's bytes per piece")
                .isEqualTo("你好世界");
        JsonObject ruledOut = content.getJsonObject(0).getJsonArray("top_logprobs").getJsonObject(1);
        assertThat(ruledOut.getValue("logprob")).as("the regex rules every other token out: OpenAI's floor, a number")
                .isEqualTo(-9999.0);
    }

    @Test
    void tool_choices_that_cannot_be_served_are_400s_naming_tool_choice() throws Exception {
        for (JsonObject body : List.of(
                greedy(8, "user", "x").put("tools", TOOLS),
                greedy(8, "user", "x").put("tools", TOOLS).put("tool_choice", "auto"),
                greedy(8, "user", "x").put("tools", TOOLS).put("tool_choice", named("missing")),
                greedy(8, "user", "x").put("tool_choice", "required"),
                greedy(8, "user", "x").put("tools", TOOLS).put("tool_choice", "required")
                        .put("response_format", new JsonObject().put("type", "json_object")))) {
            HttpResponse<Buffer> r = chat(body);
            assertThat(r.statusCode()).as(body.encode()).isEqualTo(400);
            assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("param")).isEqualTo("tool_choice");
        }
        assertThat(chat(greedy(8, "user", "x").put("tools", TOOLS).put("tool_choice", named("now"))
                .put("parallel_tool_calls", false)).statusCode()).as("a named call is one call").isEqualTo(200);
        HttpResponse<Buffer> text = chat(greedy(4, "user", "x").put("tools", TOOLS).put("tool_choice", "none"));
        assertThat(text.statusCode()).as("tool_choice none: a text answer").isEqualTo(200);
        assertThat(text.bodyAsJsonObject().getJsonArray("choices").getJsonObject(0).getJsonObject("message")
                .getString("content")).isNotNull();
    }

    @Test
    void tokenize_renders_messages_with_the_template_and_tokenizer_info_hands_the_template_out() throws Exception {
        JsonObject body = greedy(4, "system", "Be brief.", "user", "def add(a, b):");
        HttpResponse<Buffer> t = client.post("/tokenize").sendJsonObject(new JsonObject()
                .put("messages", body.getJsonArray("messages"))).await(60, java.util.concurrent.TimeUnit.SECONDS);
        HttpResponse<Buffer> answer = chat(body);

        assertThat(t.statusCode()).as(t.bodyAsString()).isEqualTo(200);
        assertThat(t.bodyAsJsonObject().getInteger("count"))
                .isEqualTo(answer.bodyAsJsonObject().getJsonObject("usage").getInteger("prompt_tokens"));
        JsonObject info = client.get("/tokenizer_info").send().await(60, java.util.concurrent.TimeUnit.SECONDS)
                .bodyAsJsonObject();
        assertThat(info.getString("chat_template")).as("what a client renders chats with").isEqualTo(TEMPLATE);
        assertThat(info.getString("eos_token")).isEqualTo("<|endoftext|>");
    }

    @Test
    void an_assistant_message_written_in_part_is_continued_and_tokenize_renders_it_the_same_way() throws Exception {
        JsonObject body = greedy(8, "user", "Write a loop.", "assistant", "for i in range(")
                .put("add_generation_prompt", false).put("continue_final_message", true);
        HttpResponse<Buffer> t = post("/tokenize", new JsonObject().put("messages", body.getJsonArray("messages"))
                .put("add_generation_prompt", false).put("continue_final_message", true));
        HttpResponse<Buffer> answer = chat(body);
        HttpResponse<Buffer> refused = chat(body.copy().put("add_generation_prompt", true));

        assertThat(answer.statusCode()).as(answer.bodyAsString()).isEqualTo(200);
        assertThat(t.bodyAsJsonObject().getInteger("count"))
                .isEqualTo(answer.bodyAsJsonObject().getJsonObject("usage").getInteger("prompt_tokens"));
        HttpResponse<Buffer> plain = post("/tokenize", new JsonObject().put("prompt",
                "<|im_start|>user\nWrite a loop.<|im_end|>\n<|im_start|>assistant\nfor i in range("));
        assertThat(t.bodyAsJsonObject().getJsonArray("tokens")).as("the prompt ends inside the assistant's message")
                .isEqualTo(plain.bodyAsJsonObject().getJsonArray("tokens"));
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(refused.bodyAsJsonObject().getJsonObject("error").getString("param"))
                .isEqualTo("continue_final_message");
    }

    @Test
    void n_choices_each_get_a_message_and_n_beyond_what_the_server_holds_at_once_is_a_400() throws Exception {
        HttpResponse<Buffer> two = chat(greedy(6, "user", "def add(a, b):").put("n", 2).put("temperature", 1.0)
                .put("seed", 3));
        HttpResponse<Buffer> three = chat(greedy(6, "user", "def add(a, b):").put("n", 3));

        assertThat(two.statusCode()).as(two.bodyAsString()).isEqualTo(200);
        JsonArray choices = two.bodyAsJsonObject().getJsonArray("choices");
        assertThat(choices).hasSize(2);
        for (int i = 0; i < 2; i++) {
            assertThat(choices.getJsonObject(i).getInteger("index")).isEqualTo(i);
            assertThat(choices.getJsonObject(i).getJsonObject("message").getString("role")).isEqualTo("assistant");
        }
        assertThat(three.statusCode()).as("max_batch 1 + queue_capacity 1 hold two").isEqualTo(400);
        assertThat(three.bodyAsJsonObject().getJsonObject("error").getString("param")).isEqualTo("n");
    }

    @Test
    void greedy_chat_output_equals_greedy_completions_on_the_rendered_prompt() throws Exception {
        JsonObject request = greedy(24, "system", "  You write Python. ", "user", "def fibonacci(n):");
        String rendered = "<|im_start|>system\nYou write Python.<|im_end|>\n<|im_start|>user\ndef fibonacci(n):"
                + "<|im_end|>\n<|im_start|>assistant\n";

        HttpResponse<Buffer> r = chat(request);
        JsonObject completion = post("/v1/completions", new JsonObject().put("prompt", rendered).put("max_tokens", 24)
                .put("temperature", 0).put("strategy", "none")).bodyAsJsonObject();

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.getHeader("Content-Type")).startsWith("application/json");
        JsonObject body = r.bodyAsJsonObject();
        assertThat(body.getString("id")).startsWith("chatcmpl-");
        assertThat(body.getString("object")).isEqualTo("chat.completion");
        assertThat(body.getString("model")).isEqualTo("specserve-demo");
        JsonObject choice = body.getJsonArray("choices").getJsonObject(0);
        assertThat(choice.getInteger("index")).isZero();
        assertThat(choice.getJsonObject("message").getString("role")).isEqualTo("assistant");
        String text = completion.getJsonArray("choices").getJsonObject(0).getString("text");
        assertThat(text).isNotEmpty();
        assertThat(choice.getJsonObject("message").getString("content")).isEqualTo(text);
        assertThat(choice.getString("finish_reason"))
                .isEqualTo(completion.getJsonArray("choices").getJsonObject(0).getString("finish_reason"));
        assertThat(body.getJsonObject("usage").copy().put("prompt_tokens_details", null)).as("the second may hit the cache")
                .isEqualTo(completion.getJsonObject("usage").copy().put("prompt_tokens_details", null));
        assertThat(body.getJsonObject("specserve").getString("strategy")).isEqualTo("none");
    }

    @Test
    void prompt_logprobs_score_the_rendered_prompt_as_on_completions() throws Exception {
        JsonObject request = greedy(4, "user", "def fibonacci(n):").put("prompt_logprobs", 1);
        String rendered = "<|im_start|>user\ndef fibonacci(n):<|im_end|>\n<|im_start|>assistant\n";

        JsonObject body = chat(request).bodyAsJsonObject();
        JsonObject completion = post("/v1/completions", new JsonObject().put("prompt", rendered).put("max_tokens", 4)
                .put("temperature", 0).put("prompt_logprobs", 1)).bodyAsJsonObject();

        assertThat(body.getJsonArray("prompt_logprobs")).isNotEmpty().isEqualTo(completion.getJsonArray("choices")
                .getJsonObject(0).getJsonArray("prompt_logprobs"));
        assertThat(chat(request.copy().put("stream", true)).statusCode()).isEqualTo(400);
    }

    @Test
    void truncate_prompt_tokens_cuts_the_rendered_conversation_to_its_last_tokens() throws Exception {
        JsonObject request = greedy(8, "user", "import os\nimport sys\n".repeat(200));
        assertThat(chat(request).statusCode()).as("too long for the context whole").isEqualTo(400);

        JsonObject body = chat(request.copy().put("truncate_prompt_tokens", 64)).bodyAsJsonObject();

        assertThat(body.getJsonObject("usage").getInteger("prompt_tokens")).isEqualTo(64);
    }

    @Test
    void without_a_token_limit_a_chat_completion_may_fill_the_context_as_openai_and_vllm_allow() throws Exception {
        JsonObject request = greedy(1, "user", "def fibonacci(n):");
        request.remove("max_completion_tokens");

        JsonObject body = chat(request).bodyAsJsonObject();

        JsonObject usage = body.getJsonObject("usage");
        String finish = body.getJsonArray("choices").getJsonObject(0).getString("finish_reason");
        assertThat(usage.getInteger("completion_tokens")).as("not the completions API's default of 16")
                .satisfiesAnyOf(n -> assertThat(n).isGreaterThan(CompletionRequestParser.DEFAULT_MAX_TOKENS),
                        n -> assertThat(finish).isEqualTo("stop"));
        assertThat(usage.getInteger("total_tokens")).isLessThanOrEqualTo(512);
    }

    @Test
    void streaming_opens_with_the_assistant_role_then_content_deltas_then_finish_and_usage_then_done() throws Exception {
        JsonObject request = greedy(20, "user", "import os\n");
        String whole = chat(request).bodyAsJsonObject().getJsonArray("choices").getJsonObject(0)
                .getJsonObject("message").getString("content");

        HttpResponse<Buffer> r = chat(request.copy().put("stream", true).put("strategy", "specblock"));

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.getHeader("Content-Type")).startsWith("text/event-stream");
        List<String> data = HttpApiTest.events(r.bodyAsString());
        assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
        List<JsonObject> chunks = data.subList(0, data.size() - 1).stream().map(JsonObject::new).toList();
        assertThat(chunks).allSatisfy(c -> {
            assertThat(c.getString("object")).isEqualTo("chat.completion.chunk");
            assertThat(c.getString("id")).isEqualTo(chunks.get(0).getString("id")).startsWith("chatcmpl-");
        });
        JsonObject first = chunks.get(0).getJsonArray("choices").getJsonObject(0);
        assertThat(first.getJsonObject("delta")).isEqualTo(new JsonObject().put("role", "assistant").put("content", ""));
        StringBuilder streamed = new StringBuilder();
        for (JsonObject c : chunks.subList(1, chunks.size() - 1)) {
            JsonObject choice = c.getJsonArray("choices").getJsonObject(0);
            assertThat(choice.getJsonObject("delta").fieldNames()).containsExactly("content");
            assertThat(choice.getString("finish_reason")).isNull();
            streamed.append(choice.getJsonObject("delta").getString("content"));
        }
        assertThat(streamed.toString()).as("greedy output is the same with speculation").isEqualTo(whole);
        JsonObject last = chunks.get(chunks.size() - 1);
        assertThat(last.getJsonArray("choices").getJsonObject(0).getJsonObject("delta")).isEqualTo(new JsonObject());
        assertThat(last.getJsonArray("choices").getJsonObject(0).getString("finish_reason")).isIn("stop", "length");
        assertThat(last.getJsonObject("usage").getInteger("completion_tokens")).isBetween(1, 20);
    }

    @Test
    void with_include_usage_the_usage_comes_last_in_a_chunk_without_choices_as_openai_sends_it() throws Exception {
        JsonObject request = greedy(12, "user", "import os\n").put("stream", true)
                .put("stream_options", new JsonObject().put("include_usage", true));

        List<String> data = HttpApiTest.events(chat(request).bodyAsString());

        assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
        JsonObject usage = new JsonObject(data.get(data.size() - 2));
        assertThat(usage.getString("object")).isEqualTo("chat.completion.chunk");
        assertThat(usage.getJsonArray("choices")).isEmpty();
        assertThat(usage.getJsonObject("usage").getInteger("completion_tokens")).isBetween(1, 12);
        JsonObject finish = new JsonObject(data.get(data.size() - 3));
        assertThat(finish.getJsonArray("choices").getJsonObject(0).getString("finish_reason")).isIn("stop", "length");
        assertThat(finish.containsKey("usage") && finish.getValue("usage") == null)
                .as("usage once, in its own chunk; null in the others, as OpenAI sends it").isTrue();
        JsonObject opening = new JsonObject(data.get(0)).getJsonArray("choices").getJsonObject(0);
        JsonObject firstText = new JsonObject(data.get(1)).getJsonArray("choices").getJsonObject(0);
        assertThat(opening.getJsonObject("delta").getString("role")).isEqualTo("assistant");
        assertThat(firstText.getJsonObject("delta").getString("content")).as("the role opens the first text").isNotEmpty();
    }

    @Test
    void logprobs_come_in_the_chat_shape_one_entry_per_token_with_top_alternatives() throws Exception {
        JsonObject body = chat(greedy(6, "user", "for i in range(").put("logprobs", true).put("top_logprobs", 2))
                .bodyAsJsonObject();

        JsonObject choice = body.getJsonArray("choices").getJsonObject(0);
        JsonArray content = choice.getJsonObject("logprobs").getJsonArray("content");
        assertThat(content.size()).isEqualTo(body.getJsonObject("usage").getInteger("completion_tokens"));
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < content.size(); i++) {
            JsonObject token = content.getJsonObject(i);
            text.append(token.getString("token"));
            assertThat(token.getDouble("logprob")).isLessThanOrEqualTo(0);
            assertThat(token.getJsonArray("bytes")).isNotEmpty();
            assertThat(token.getJsonArray("top_logprobs")).hasSize(2);
            // greedy: the chosen token is the most likely one
            assertThat(token.getJsonArray("top_logprobs").getJsonObject(0).getDouble("logprob"))
                    .isEqualTo(token.getDouble("logprob"));
        }
        assertThat(text.toString()).isEqualTo(choice.getJsonObject("message").getString("content"));
        assertThat(chat(greedy(2, "user", "x")).bodyAsJsonObject().getJsonArray("choices").getJsonObject(0)
                .getValue("logprobs")).isNull();
    }

    @Test
    void bad_messages_are_400s_naming_the_field_and_counted_as_rejections() throws Exception {
        double before = server.metric("specserve_requests_rejected_total{reason=\"invalid_messages\"}");
        List<JsonObject> bad = List.of(
                new JsonObject(),
                new JsonObject().put("messages", new JsonArray()),
                greedy(4, "tool", "x"),
                new JsonObject().put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", 7))),
                greedy(4, "user", "hi", "system", "late"));
        for (JsonObject body : bad) {
            HttpResponse<Buffer> r = chat(body);
            assertThat(r.statusCode()).as(body.encode()).isEqualTo(400);
            JsonObject error = r.bodyAsJsonObject().getJsonObject("error");
            assertThat(error.getString("param")).as(body.encode()).isEqualTo("messages");
            assertThat(error.getString("type")).isEqualTo("invalid_request_error");
        }
        assertThat(chat(greedy(4, "user", "hi", "system", "late")).bodyAsJsonObject().getJsonObject("error")
                .getString("message")).endsWith("the system message must come first");
        assertThat(server.metric("specserve_requests_rejected_total{reason=\"invalid_messages\"}"))
                .isEqualTo(before + bad.size() + 1);
        HttpResponse<Buffer> topLogprobs = chat(greedy(4, "user", "x").put("top_logprobs", 3));
        assertThat(topLogprobs.statusCode()).isEqualTo(400);
        assertThat(topLogprobs.bodyAsJsonObject().getJsonObject("error").getString("param")).isEqualTo("top_logprobs");
    }

    @Test
    void messages_too_long_for_the_context_are_refused_as_messages_and_limits_apply_as_for_completions()
            throws Exception {
        HttpResponse<Buffer> tooLong = chat(greedy(4, "user", "x = 1\n".repeat(40_000)));
        HttpResponse<Buffer> tooMany = chat(greedy(100_000, "user", "x"));

        assertThat(tooLong.statusCode()).isEqualTo(400);
        assertThat(tooLong.bodyAsJsonObject().getJsonObject("error").getString("param")).isEqualTo("messages");
        assertThat(tooLong.bodyAsJsonObject().getJsonObject("error").getString("message")).contains("context");
        assertThat(tooMany.statusCode()).isEqualTo(400);
        assertThat(tooMany.bodyAsJsonObject().getJsonObject("error").getString("param"))
                .isEqualTo("max_completion_tokens");
    }

    @Test
    void a_prompt_and_token_limit_beyond_the_context_are_refused_under_the_name_the_client_sent() throws Exception {
        String question = "Write a long essay about the history of computing, with examples in Python and Java.";
        JsonObject newer = chat(greedy(500, "user", question)).bodyAsJsonObject().getJsonObject("error");
        JsonObject older = greedy(500, "user", question);
        older.put("max_tokens", older.remove("max_completion_tokens"));
        JsonObject olderError = chat(older).bodyAsJsonObject().getJsonObject("error");

        assertThat(newer.getString("param")).isEqualTo("max_completion_tokens");
        assertThat(newer.getString("message")).contains("maximum context length is 512 tokens", "max_completion_tokens 500")
                .doesNotContain("max_tokens");
        assertThat(olderError.getString("param")).isEqualTo("max_tokens");
        assertThat(olderError.getString("message")).contains("max_tokens 500");
    }

    @Test
    void chat_shares_admission_control_with_completions_a_burst_beyond_capacity_gets_429s_counted_as_queue_full()
            throws Exception {
        double before = server.metric("specserve_requests_rejected_total{reason=\"queue_full\"}");
        JsonObject slow = greedy(48, "user", "def main():").put("domain", TestServer.SLOW);
        List<HttpResponse<Buffer>> responses = new ArrayList<>();
        for (int burst = 0; burst < 5 && responses.stream().noneMatch(r -> r.statusCode() == 429); burst++) {
            List<Future<HttpResponse<Buffer>>> inFlight = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                inFlight.add(client.post("/v1/chat/completions").sendJsonObject(slow));
            }
            for (Future<HttpResponse<Buffer>> f : inFlight) {
                responses.add(f.await(60, SECONDS));
            }
        }

        assertThat(responses).extracting(HttpResponse::statusCode).contains(200, 429).containsOnly(200, 429);
        long refused = responses.stream().filter(r -> r.statusCode() == 429).count();
        responses.stream().filter(r -> r.statusCode() == 429).forEach(r -> assertThat(r.bodyAsJsonObject()
                .getJsonObject("error").getString("type")).isEqualTo("rate_limit_error"));
        assertThat(server.metric("specserve_requests_rejected_total{reason=\"queue_full\"}"))
                .isEqualTo(before + refused);
        server.awaitIdle();
    }

    @Test
    void chat_shares_the_body_guards_415_without_json_and_413_over_the_body_limit() throws Exception {
        double before = server.metric("specserve_requests_rejected_total{reason=\"invalid_body\"}");
        double beforeLarge = server.metric("specserve_requests_rejected_total{reason=\"body_too_large\"}");
        HttpResponse<Buffer> plainText = client.post("/v1/chat/completions").putHeader("Content-Type", "text/plain")
                .sendBuffer(Buffer.buffer(greedy(4, "user", "x").encode())).await(60, SECONDS);
        HttpResponse<Buffer> huge = chat(greedy(4, "user", "x".repeat((int) HttpApiVerticle.BODY_LIMIT)));
        HttpResponse<Buffer> notJson = client.post("/v1/chat/completions").putHeader("Content-Type", "application/json")
                .sendBuffer(Buffer.buffer("{\"messages\": [")).await(60, SECONDS);

        assertThat(plainText.statusCode()).isEqualTo(415);
        assertThat(huge.statusCode()).isEqualTo(413);
        assertThat(huge.bodyAsJsonObject().getJsonObject("error").getString("param")).isEqualTo("body");
        assertThat(notJson.statusCode()).isEqualTo(400);
        assertThat(notJson.bodyAsJsonObject().getJsonObject("error").getString("param")).isEqualTo("body");
        assertThat(server.metric("specserve_requests_rejected_total{reason=\"invalid_body\"}")).isEqualTo(before + 1);
        assertThat(server.metric("specserve_requests_rejected_total{reason=\"body_too_large\"}"))
                .isEqualTo(beforeLarge + 1);
    }

    @Test
    void models_reports_the_manifest_name_as_the_model_id() throws Exception {
        JsonObject body = client.get("/v1/models").send().await(10, SECONDS).bodyAsJsonObject();

        assertThat(body.getJsonArray("data").getJsonObject(0).getString("id")).isEqualTo("specserve-demo");
    }

    @Test
    void a_model_without_a_chat_template_answers_400_pointing_to_the_completions_api() throws Exception {
        try (TestServer plain = TestServer.start(Map.of())) {
            WebClient other = WebClient.create(clientVertx, new WebClientOptions().setDefaultHost("127.0.0.1")
                    .setDefaultPort(plain.httpPort()));
            HttpResponse<Buffer> r = other.post("/v1/chat/completions").sendJsonObject(greedy(4, "user", "hi"))
                    .await(60, SECONDS);
            HttpResponse<Buffer> completion = other.post("/v1/completions")
                    .sendJsonObject(new JsonObject().put("prompt", "hi").put("max_tokens", 2)).await(60, SECONDS);
            other.close();

            assertThat(r.statusCode()).isEqualTo(400);
            JsonObject error = r.bodyAsJsonObject().getJsonObject("error");
            assertThat(error.getString("type")).isEqualTo("invalid_request_error");
            assertThat(error.getString("param")).isEqualTo("model");
            assertThat(error.getString("message")).contains("no chat template").contains("/v1/completions");
            assertThat(plain.metric("specserve_requests_rejected_total{reason=\"invalid_model\"}")).isEqualTo(1);
            assertThat(completion.statusCode()).isEqualTo(200);
        }
    }
}
