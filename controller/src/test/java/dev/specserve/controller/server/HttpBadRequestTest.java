package dev.specserve.controller.server;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every kind of bad input gets a 400 whose JSON error names the field, is counted in
 * {@code specserve.requests.rejected}, and leaves the server serving.
 */
class HttpBadRequestTest {
    static final int LIMIT = 64;
    static TestServer server;
    static WebClient client;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("max_tokens_limit", Integer.toString(LIMIT)));
        client = server.client();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @AfterEach
    void theServerStillServes() throws Exception {
        HttpResponse<Buffer> good = post(Buffer.buffer("{\"prompt\": \"x = 1\", \"max_tokens\": 4, \"temperature\": 0}"));
        assertThat(good.statusCode()).as("a good request after the bad one").isEqualTo(200);
        assertThat(good.bodyAsJsonObject().getJsonObject("usage").getInteger("completion_tokens")).isBetween(1, 4);
    }

    static HttpResponse<Buffer> post(Buffer body) throws Exception {
        return client.post("/v1/completions").putHeader("Content-Type", "application/json").sendBuffer(body)
                .await(60, SECONDS);
    }

    static void assertRejected(HttpResponse<Buffer> r, String param) {
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.getHeader("Content-Type")).startsWith("application/json");
        JsonObject error = r.bodyAsJsonObject().getJsonObject("error");
        assertThat(error.getString("type")).isEqualTo("invalid_request_error");
        assertThat(error.getString("param")).isEqualTo(param);
        assertThat(error.getInteger("code")).isEqualTo(400);
        assertThat(error.getString("message")).isNotBlank();
    }

    double rejected(String param) {
        return server.metric("specserve_requests_rejected_total{reason=\"invalid_" + param + "\"}");
    }

    @ParameterizedTest(name = "{0} -> 400 naming {1}")
    @CsvSource(delimiter = '|', textBlock = """
            {"max_tokens": 8}                                   | prompt
            {"prompt": ""}                                      | prompt
            {"prompt": null}                                    | prompt
            {"prompt": 42}                                      | prompt
            {"prompt": []}                                      | prompt
            {"prompt": ["a", ""]}                               | prompt
            {"prompt": ["a", [1, 2]]}                           | prompt
            {"prompt": [[1, 2], "a"]}                           | prompt
            {"prompt": [[]]}                                    | prompt
            {"prompt": [1, -2]}                                 | prompt
            {"prompt": [1, 2.5]}                                | prompt
            {"prompt": [1, 99999]}                              | prompt
            {"prompt": [1, 2], "max_tokens": 64, "logprobs": 99} | logprobs
            {"prompt": "x", "max_tokens": "ten"}                | max_tokens
            {"prompt": "x", "max_tokens": 0}                    | max_tokens
            {"prompt": "x", "max_tokens": -3}                   | max_tokens
            {"prompt": "x", "max_tokens": 2.5}                  | max_tokens
            {"prompt": "x", "max_tokens": 65}                   | max_tokens
            {"prompt": "x", "max_tokens": 99999999999999999999} | max_tokens
            {"prompt": "x", "temperature": "hot"}               | temperature
            {"prompt": "x", "temperature": -0.5}                | temperature
            {"prompt": "x", "top_p": 0}                         | top_p
            {"prompt": "x", "top_p": "all"}                     | top_p
            {"prompt": "x", "stop": 42}                         | stop
            {"prompt": "x", "stop": ["ok", 7]}                  | stop
            {"prompt": "x", "stop": [""]}                       | stop
            {"prompt": "x", "stream": "yes"}                    | stream
            {"prompt": "x", "seed": "lucky"}                    | seed
            {"prompt": "x", "seed": 18446744073709551616}       | seed
            {"prompt": "x", "strategy": "warp-drive"}           | strategy
            {"prompt": "x", "strategy": 3}                      | strategy
            {"prompt": "x", "domain": 5}                        | domain
            {"prompt": "x", "domain": ""}                       | domain
            {"prompt": "x", "domain": " "}                      | domain
            {"prompt": "x", "domain": "a b"}                    | domain
            {"prompt": "x", "domain": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"} | domain
            {"prompt": "x", "model": true}                      | model
            {"prompt": "x", "suffix": "return x"}               | suffix
            {"prompt": "x", "echo": true, "logprobs": 1, "stream": true} | echo
            {"prompt": "x", "echo": "yes"}                      | echo
            {"prompt": "x", "best_of": 3}                       | best_of
            {"prompt": "x", "logprobs": 21}                     | logprobs
            {"prompt": "x", "logprobs": true}                   | logprobs
            {"prompt": "x", "presence_penalty": 2.5}            | presence_penalty
            {"prompt": "x", "frequency_penalty": -3}            | frequency_penalty
            {"prompt": "x", "frequency_penalty": "lots"}        | frequency_penalty
            {"prompt": "x", "logit_bias": [1, 2]}               | logit_bias
            {"prompt": "x", "logit_bias": {"abc": 1}}           | logit_bias
            {"prompt": "x", "logit_bias": {"-1": 1}}            | logit_bias
            {"prompt": "x", "logit_bias": {"5": 101}}           | logit_bias
            {"prompt": "x", "logit_bias": {"99999999": 1}}      | logit_bias
            {"prompt": "x", "top_k": -2}                        | top_k
            {"prompt": "x", "top_k": 2.5}                       | top_k
            {"prompt": "x", "min_p": 1.5}                       | min_p
            {"prompt": "x", "min_p": "low"}                     | min_p
            {"prompt": "x", "repetition_penalty": 0}            | repetition_penalty
            {"prompt": "x", "repetition_penalty": -1.2}         | repetition_penalty
            {"prompt": "x", "length_penalty": 0.5}              | length_penalty
            {"prompt": "x", "ignore_eos": "yes"}                | ignore_eos
            {"prompt": "x", "n": 0}                             | n
            {"prompt": "x", "n": 33}                            | n
            {"prompt": "x", "n": 1.5}                           | n
            {"prompt": "x", "min_tokens": -1}                   | min_tokens
            {"prompt": "x", "min_tokens": 17}                   | min_tokens
            {"prompt": "x", "max_tokens": 4, "min_tokens": 5}   | min_tokens
            {"prompt": "x", "stop_token_ids": 1}                | stop_token_ids
            {"prompt": "x", "stop_token_ids": [-1]}             | stop_token_ids
            {"prompt": "x", "stop_token_ids": ["a"]}            | stop_token_ids
            {"prompt": "x", "prompt_logprobs": 21}               | prompt_logprobs
            {"prompt": "x", "prompt_logprobs": -1}               | prompt_logprobs
            {"prompt": "x", "prompt_logprobs": 1, "stream": true} | prompt_logprobs
            {"prompt": "x", "prompt_logprobs": 1, "echo": true, "logprobs": 1} | prompt_logprobs
            {"prompt": "x", "truncate_prompt_tokens": 0}         | truncate_prompt_tokens
            {"prompt": "x", "truncate_prompt_tokens": -2}        | truncate_prompt_tokens
            {"prompt": "x", "truncate_prompt_tokens": 512}       | truncate_prompt_tokens
            {"prompt": "x", "truncate_prompt_tokens": "8"}       | truncate_prompt_tokens
            {"prompt": "x", "truncate_prompt_tokens": 8, "echo": true} | truncate_prompt_tokens
            {"prompt": "x", "allowed_token_ids": []}             | allowed_token_ids
            {"prompt": "x", "allowed_token_ids": 5}              | allowed_token_ids
            {"prompt": "x", "allowed_token_ids": [-1]}           | allowed_token_ids
            {"prompt": "x", "allowed_token_ids": [1.5]}          | allowed_token_ids
            {"prompt": "x", "allowed_token_ids": [99999999]}     | allowed_token_ids
            {"prompt": "x", "allowed_token_ids": [0], "min_tokens": 2} | allowed_token_ids
            {"prompt": "x", "allowed_token_ids": [5], "response_format": {"type": "json_object"}} | allowed_token_ids
            {"prompt": "x", "bad_words": "x"}                    | bad_words
            {"prompt": "x", "bad_words": [" "]}                  | bad_words
            {"prompt": "x", "bad_words": [3]}                    | bad_words
            {"prompt": "x", "skip_special_tokens": "no"}         | skip_special_tokens
            {"prompt": "x", "response_format": {"type": "json_schema"}} | response_format
            {"prompt": "x", "response_format": {"type": "yaml"}}        | response_format
            {"prompt": "x", "response_format": "json"}                  | response_format
            {"prompt": "x", "response_format": {"type": "json_schema", "json_schema": {"schema": {"type": "string", "pattern": "(a)\\\\1"}}}} | response_format
            {"prompt": "x", "response_format": {"type": "json_schema", "json_schema": {"schema": {"$ref": "#/$defs/x"}}}} | response_format
            {"prompt": "x", "response_format": {"type": "json_object"}, "guided_choice": ["a"]} | guided_choice
            {"prompt": "x", "guided_json": 5}                           | guided_json
            {"prompt": "x", "guided_json": "{not json"}                 | guided_json
            {"prompt": "x", "guided_choice": []}                        | guided_choice
            {"prompt": "x", "guided_choice": ["a", 1]}                  | guided_choice
            {"prompt": "x", "structured_outputs": {"grammar": "root ::= x"}} | structured_outputs
            {"prompt": "x", "structured_outputs": {"json": {}, "choice": ["a"]}} | structured_outputs
            {"prompt": "x", "guided_regex": "a(?=b)"}                   | guided_regex
            {"prompt": "x", "guided_regex": 7}                          | guided_regex
            {"prompt": "x", "guided_grammar": "root ::= x"}             | guided_grammar
            {"prompt": "x", "stream_options": {"include_usage": true}}  | stream_options
            {"prompt": "x",                                     | body
            not json at all                                     | body
            [1, 2, 3]                                           | body
            "just a string"                                     | body
            """)
    void a_bad_field_is_refused_with_400_naming_it(String body, String param) throws Exception {
        double before = rejected(param);

        HttpResponse<Buffer> r = post(Buffer.buffer(body));

        assertRejected(r, param);
        assertThat(rejected(param)).as("counted once as invalid_" + param).isEqualTo(before + 1);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            {"prompt": "x", "suffix": "return x"}               | suffix is not supported (only "", which changes nothing)
            {"prompt": "x", "seed": 18446744073709551616}       | seed must be a signed 64-bit integer, got 18446744073709551616
            {"prompt": "x", "temperature": NaN}                 | not valid JSON: Non-standard token 'NaN' at line 1, column
            {"prompt": "x", "stop": ["a"}                       | not valid JSON: Unexpected close marker '}': expected ']'
            """)
    void messages_name_the_problem_in_the_clients_terms_without_parser_internals(String body, String message)
            throws Exception {
        String got = post(Buffer.buffer(body)).bodyAsJsonObject().getJsonObject("error").getString("message");

        assertThat(got).contains(message).doesNotContain("JsonReadFeature", "StreamReadConstraints", "Source:", "`", "line:",
                "])");
    }

    @Test
    void a_body_nested_past_the_parsers_limit_is_refused_in_plain_words() throws Exception {
        String got = post(Buffer.buffer("{\"prompt\": " + "[".repeat(1200) + "]".repeat(1200) + "}")).bodyAsJsonObject()
                .getJsonObject("error").getString("message");

        assertThat(got).contains("nesting depth").contains("maximum allowed (1000)").doesNotContain("StreamReadConstraints");
    }

    @Test
    void an_empty_body_is_refused_naming_the_body() throws Exception {
        assertRejected(post(Buffer.buffer()), "body");
    }

    @Test
    void a_prompt_longer_than_the_context_is_refused_by_the_engine_naming_the_prompt() throws Exception {
        double before = rejected("prompt");
        String prompt = "x = 1\n".repeat(server.engine.contextLength() * 2);

        HttpResponse<Buffer> r = post(new JsonObject().put("prompt", prompt).put("max_tokens", 4).toBuffer());

        assertRejected(r, "prompt");
        assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("message"))
                .as("the words client libraries (LiteLLM, LangChain) look for to trim a conversation")
                .contains("maximum context length");
        assertThat(rejected("prompt")).as("counted once, by the engine").isEqualTo(before + 1);
    }

    @Test
    void a_body_over_one_mebibyte_is_refused_naming_the_body() throws Exception {
        double before = server.metric("specserve_requests_rejected_total{reason=\"body_too_large\"}");
        String prompt = "a".repeat((int) HttpApiVerticle.BODY_LIMIT + 10);

        HttpResponse<Buffer> r = post(new JsonObject().put("prompt", prompt).toBuffer());

        assertThat(r.statusCode()).as("413 Payload Too Large, as a proxy in front would answer").isEqualTo(413);
        JsonObject error = r.bodyAsJsonObject().getJsonObject("error");
        assertThat(error.getString("param")).isEqualTo("body");
        assertThat(error.getString("message")).contains("exceeds").contains(String.valueOf(HttpApiVerticle.BODY_LIMIT));
        assertThat(server.metric("specserve_requests_rejected_total{reason=\"body_too_large\"}")).isEqualTo(before + 1);
    }

    @Test
    void vllms_top_k_min_p_and_repetition_penalty_are_served() throws Exception {
        HttpResponse<Buffer> r = post(Buffer.buffer("{\"prompt\": \"x = [1, 2, 3]\\ny = [\", \"max_tokens\": 4,"
                + " \"temperature\": 0.8, \"seed\": 5, \"top_k\": 20, \"min_p\": 0.05, \"repetition_penalty\": 1.1}"));

        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
        assertThat(r.bodyAsJsonObject().getJsonObject("usage").getInteger("completion_tokens")).isBetween(1, 4);
    }

    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"none", "auto"})
    void min_tokens_and_ignore_eos_decide_where_a_forced_eos_ends_the_output(String strategy) throws Exception {
        String request = "{\"prompt\": \"x = [1, 2, 3]\\ny = [\", \"max_tokens\": 10, \"temperature\": 0, "
                + "\"strategy\": \"" + strategy + "\", \"logit_bias\": {\"" + server.stack.tokenizer().eosId() + "\": 100}";

        JsonObject plain = post(Buffer.buffer(request + "}")).bodyAsJsonObject();
        JsonObject min = post(Buffer.buffer(request + ", \"min_tokens\": 4}")).bodyAsJsonObject();
        JsonObject ignored = post(Buffer.buffer(request + ", \"ignore_eos\": true}")).bodyAsJsonObject();

        assertThat(plain.getJsonObject("usage").getInteger("completion_tokens")).as("EOS first").isZero();
        assertThat(min.getJsonObject("usage").getInteger("completion_tokens")).isEqualTo(4);
        assertThat(min.getJsonArray("choices").getJsonObject(0).getString("finish_reason")).isEqualTo("stop");
        assertThat(ignored.getJsonObject("usage").getInteger("completion_tokens")).as("EOS counted").isEqualTo(10);
        assertThat(ignored.getJsonArray("choices").getJsonObject(0).getString("finish_reason")).isEqualTo("length");
        assertThat(ignored.getJsonArray("choices").getJsonObject(0).getString("text")).as("EOS has no text").isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"none", "auto"})
    void stop_token_ids_end_the_output_at_the_first_one_generated_which_is_kept(String strategy) throws Exception {
        String request = "{\"prompt\": \"x = [1, 2, 3]\\ny = [1, 2, 3]\\nz = [\", \"max_tokens\": 12, "
                + "\"temperature\": 0, \"logprobs\": 0, \"strategy\": \"" + strategy + "\"";
        JsonObject free = post(Buffer.buffer(request + "}")).bodyAsJsonObject().getJsonArray("choices").getJsonObject(0);
        java.util.List<String> tokens = free.getJsonObject("logprobs").getJsonArray("tokens").stream()
                .map(String.class::cast).toList();
        int k = 3;
        while (server.stack.tokenizer().encode(tokens.get(k)).length != 1) {
            k++;
        }
        int stopId = server.stack.tokenizer().encode(tokens.get(k))[0];
        int expected = tokens.indexOf(tokens.get(k)) + 1; // the first time that token is generated

        JsonObject stopped = post(Buffer.buffer(request + ", \"stop_token_ids\": [" + stopId + "]}")).bodyAsJsonObject();

        JsonObject choice = stopped.getJsonArray("choices").getJsonObject(0);
        assertThat(choice.getString("finish_reason")).isEqualTo("stop");
        assertThat(stopped.getJsonObject("usage").getInteger("completion_tokens")).isEqualTo(expected);
        assertThat(choice.getString("text")).as("the stop token is kept")
                .isEqualTo(String.join("", tokens.subList(0, expected)));
    }

    @Test
    void a_gzip_body_is_read_and_one_inflating_past_the_limit_is_refused() throws Exception {
        HttpResponse<Buffer> small = postGzip("{\"prompt\": \"x = 1\", \"max_tokens\": 2}".getBytes());
        String bomb = "{\"prompt\": \"" + "a".repeat((int) HttpApiVerticle.BODY_LIMIT * 4) + "\"}";
        HttpResponse<Buffer> large = postGzip(bomb.getBytes());

        assertThat(small.statusCode()).as("Content-Encoding: gzip, as httpx and aiohttp clients may send").isEqualTo(200);
        assertThat(small.bodyAsJsonObject().getJsonArray("choices")).hasSize(1);
        assertThat(large.statusCode()).as("the limit counts inflated bytes (%d compressed)", gzip(bomb.getBytes()).length)
                .isEqualTo(413);
    }

    @Test
    void a_body_in_a_content_coding_the_server_does_not_undo_is_refused_with_415() throws Exception {
        HttpResponse<Buffer> r = client.post("/v1/completions").putHeader("Content-Type", "application/json")
                .putHeader("Content-Encoding", "br").sendBuffer(Buffer.buffer("{\"prompt\": \"x\"}")).await(60, SECONDS);

        assertThat(r.statusCode()).isEqualTo(415);
        assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("message")).contains("Content-Encoding 'br'");
        HttpResponse<Buffer> stacked = client.post("/v1/completions").putHeader("Content-Type", "application/json")
                .putHeader("Content-Encoding", "gzip, gzip").sendBuffer(Buffer.buffer(gzip(gzip("{\"prompt\": \"x\"}"
                        .getBytes())))).await(60, SECONDS);
        assertThat(stacked.statusCode()).as("one compression at most: each layer costs a whole inflation").isEqualTo(415);
    }

    @Test
    void a_body_that_is_not_what_its_content_encoding_says_gets_a_400_naming_the_coding() throws Exception {
        HttpResponse<Buffer> r = client.post("/v1/completions").putHeader("Content-Type", "application/json")
                .putHeader("Content-Encoding", "gzip").sendBuffer(Buffer.buffer("{\"prompt\": \"x\"}"))
                .await(60, SECONDS);

        assertThat(r.statusCode()).as("the connection was closed without an answer").isEqualTo(400);
        JsonObject error = r.bodyAsJsonObject().getJsonObject("error");
        assertThat(error.getString("message")).startsWith("request body is not valid gzip data");
        assertThat(error.getString("param")).isEqualTo("body");
        assertThat(post(Buffer.buffer("{\"prompt\": \"x\", \"max_tokens\": 1}")).statusCode()).isEqualTo(200);
    }

    @Test
    void a_deflate_body_is_read_zlib_wrapped_as_rfc_9110_says_or_raw_as_some_clients_send_it() throws Exception {
        byte[] json = "{\"prompt\": \"x = 1\", \"max_tokens\": 2}".getBytes();
        for (boolean raw : new boolean[] {false, true}) {
            var deflater = new java.util.zip.Deflater(6, raw);
            var out = new java.io.ByteArrayOutputStream();
            try (var z = new java.util.zip.DeflaterOutputStream(out, deflater)) {
                z.write(json);
            } finally {
                deflater.end();
            }
            HttpResponse<Buffer> r = client.post("/v1/completions").putHeader("Content-Type", "application/json")
                    .putHeader("Content-Encoding", "deflate").sendBuffer(Buffer.buffer(out.toByteArray()))
                    .await(60, SECONDS);

            assertThat(r.statusCode()).as("raw deflate: %s", raw).isEqualTo(200);
            assertThat(r.bodyAsJsonObject().getJsonArray("choices")).hasSize(1);
        }
    }

    private static HttpResponse<Buffer> postGzip(byte[] json) throws Exception {
        return client.post("/v1/completions").putHeader("Content-Type", "application/json")
                .putHeader("Content-Encoding", "gzip").sendBuffer(Buffer.buffer(gzip(json))).await(60, SECONDS);
    }

    private static byte[] gzip(byte[] data) throws java.io.IOException {
        var out = new java.io.ByteArrayOutputStream();
        try (var z = new java.util.zip.GZIPOutputStream(out)) {
            z.write(data);
        }
        return out.toByteArray();
    }

    @Test
    void fields_that_change_nothing_and_unknown_fields_are_accepted() throws Exception {
        HttpResponse<Buffer> r = post(Buffer.buffer(
                "{\"prompt\": \"x\", \"max_tokens\": 2, \"user\": \"me\", \"frequency_penalty\": 0, \"n\": 1,"
                        + " \"suffix\": \"\", \"top_k\": -1, \"repetition_penalty\": 1, \"echo\": false,"
                        + " \"some_future_field\": {}}"));

        assertThat(r.statusCode()).isEqualTo(200);
    }

    @Test
    void a_prompt_plus_max_tokens_beyond_the_context_is_refused_naming_max_tokens_with_the_numbers() throws Exception {
        int context = server.engine.contextLength();
        String prompt = "x = 1\n";
        int promptTokens = server.stack.tokenizer().encode(prompt).length;
        while (promptTokens + 64 <= context) {
            prompt += "x = 1\n";
            promptTokens = server.stack.tokenizer().encode(prompt).length;
        }
        assertThat(promptTokens).as("the prompt itself fits").isLessThan(context);
        double before = rejected("max_tokens");

        HttpResponse<Buffer> r = post(new JsonObject().put("prompt", prompt).put("max_tokens", 64).toBuffer());

        assertRejected(r, "max_tokens");
        assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("message"))
                .contains(Integer.toString(context), Integer.toString(promptTokens), "64",
                        Integer.toString(context - promptTokens));
        assertThat(rejected("max_tokens")).isEqualTo(before + 1);

        HttpResponse<Buffer> fits = post(new JsonObject().put("prompt", prompt).put("max_tokens", context - promptTokens)
                .put("temperature", 0).toBuffer());
        assertThat(fits.statusCode()).as("exactly filling the context is fine").isEqualTo(200);
    }

    @Test
    void a_prompt_far_beyond_the_context_is_refused_without_being_tokenized() throws Exception {
        String prompt = "x".repeat(900_000);

        long t0 = System.nanoTime();
        HttpResponse<Buffer> r = post(new JsonObject().put("prompt", prompt).put("max_tokens", 4).toBuffer());

        assertRejected(r, "prompt");
        assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("message")).contains("cannot fit", "bytes");
    }
}
