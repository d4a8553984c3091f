package dev.specserve.controller.server;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The prompt forms of OpenAI's completions API, as evaluation harnesses and batch clients send them (a batch of
 * strings, token ids, a batch of token-id arrays), and vLLM's {@code /tokenize} and {@code /detokenize}, which
 * such clients use to build token prompts: against the real engine and models, through a real HTTP client.
 */
class PromptFormsApiTest {
    static final String A = "def add(a, b):\n    return";
    static final String B = "import os\nimport sys\n";
    static TestServer server;
    static WebClient client;

    @BeforeAll
    static void start() {
        // 2 running + 4 waiting: six sequences at once
        server = TestServer.start(Map.of("max_batch", "2", "queue_capacity", "4", "api_key", "k"));
        client = server.client();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static HttpResponse<Buffer> post(String path, JsonObject body) throws Exception {
        return client.post(path).putHeader("Authorization", "Bearer k").sendJsonObject(body).await(60, SECONDS);
    }

    static JsonObject ok(String path, JsonObject body) throws Exception {
        HttpResponse<Buffer> r = post(path, body);
        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
        return r.bodyAsJsonObject();
    }

    static JsonObject complete(Object prompt, JsonObject params) throws Exception {
        return ok("/v1/completions", params.copy().put("prompt", prompt));
    }

    static JsonObject sampled(long seed) {
        return new JsonObject().put("max_tokens", 8).put("temperature", 1.0).put("seed", seed);
    }

    static JsonObject greedy() {
        return new JsonObject().put("max_tokens", 8).put("temperature", 0);
    }

    static JsonArray tokens(String text) throws Exception {
        return ok("/tokenize", new JsonObject().put("prompt", text)).getJsonArray("tokens");
    }

    static String text(JsonObject answer, int choice) {
        return answer.getJsonArray("choices").getJsonObject(choice).getString("text");
    }

    @Test
    void a_request_sent_behind_another_requests_choices_takes_the_next_free_batch_slot() throws Exception {
        JsonObject many = new JsonObject().put("prompt", A).put("n", 4).put("max_tokens", 48).put("temperature", 0)
                .put("ignore_eos", true).put("strategy", "none").put("domain", TestServer.SLOW);
        long[] finished = new long[2];
        var big = client.post("/v1/completions").putHeader("Authorization", "Bearer k").sendJsonObject(many)
                .onSuccess(r -> finished[0] = System.nanoTime());
        TestServer.awaitCondition(() -> server.engine.running() == 2 && server.engine.waiting() == 2,
                java.time.Duration.ofSeconds(30), "two choices running, two waiting");

        JsonObject small = ok("/v1/completions", greedy().put("prompt", B).put("max_tokens", 4));
        finished[1] = System.nanoTime();
        assertThat(big.await(60, SECONDS).statusCode()).isEqualTo(200);

        // first come first served would start it only after all four choices, so finish it after them
        assertThat(text(small, 0)).isNotEmpty();
        assertThat(finished[1]).as("the small request finished before the request of four choices").isLessThan(finished[0]);
        server.awaitIdle();
    }

    @Test
    void a_batch_of_prompts_answers_n_choices_per_prompt_prompt_by_prompt_with_usage_summed() throws Exception {
        JsonObject batch = complete(new JsonArray().add(A).add(B), sampled(9).put("n", 2));

        JsonArray choices = batch.getJsonArray("choices");
        assertThat(choices).hasSize(4);
        int prompt = 0;
        int completion = 0;
        for (int k = 0; k < 4; k++) {
            JsonObject alone = complete(k / 2 == 0 ? A : B, sampled(9 + k % 2));
            assertThat(choices.getJsonObject(k).getInteger("index")).isEqualTo(k);
            assertThat(text(batch, k)).as("choice %d: prompt %d, seed 9 + %d", k, k / 2, k % 2)
                    .isEqualTo(text(alone, 0));
            prompt += k % 2 == 0 ? alone.getJsonObject("usage").getInteger("prompt_tokens") : 0;
            completion += alone.getJsonObject("usage").getInteger("completion_tokens");
        }
        assertThat(batch.getJsonObject("usage").getMap()).containsEntry("prompt_tokens", prompt)
                .containsEntry("completion_tokens", completion).containsEntry("total_tokens", prompt + completion);
    }

    @Test
    void a_token_prompt_is_served_as_the_text_it_was_tokenized_from() throws Exception {
        JsonArray ids = tokens(A);
        JsonObject fromText = complete(A, greedy());
        JsonObject fromIds = complete(ids, greedy());
        JsonObject batch = complete(new JsonArray().add(ids).add(tokens(B)), greedy());

        assertThat(fromIds.getJsonArray("choices")).isEqualTo(fromText.getJsonArray("choices"));
        assertThat(fromIds.getJsonObject("usage").getInteger("prompt_tokens")).isEqualTo(ids.size());
        assertThat(text(batch, 0)).isEqualTo(text(fromText, 0));
        assertThat(text(batch, 1)).isEqualTo(text(complete(B, greedy()), 0));
    }

    /** What lm-evaluation-harness sends by default: token prompts, echo, logprobs 1, max_tokens 1. */
    @Test
    void echo_of_token_prompts_starts_each_choice_with_its_decoded_prompt_and_scores_every_prompt_token() throws Exception {
        JsonArray a = tokens(A);
        JsonArray b = tokens(B);
        JsonObject scored = complete(new JsonArray().add(a).add(b), new JsonObject().put("max_tokens", 1)
                .put("temperature", 0).put("logprobs", 1).put("echo", true));

        for (int i = 0; i < 2; i++) {
            JsonArray ids = i == 0 ? a : b;
            String decoded = ok("/detokenize", new JsonObject().put("tokens", ids)).getString("prompt");
            JsonObject lp = scored.getJsonArray("choices").getJsonObject(i).getJsonObject("logprobs");
            assertThat(text(scored, i)).startsWith(decoded);
            assertThat(lp.getJsonArray("tokens")).as("prompt %d's tokens and the one generated", i)
                    .hasSize(ids.size() + 1);
            assertThat(lp.getJsonArray("token_logprobs").getValue(0)).isNull();
        }
    }

    @Test
    void a_streamed_batch_tags_each_chunk_with_its_choice_index() throws Exception {
        JsonObject whole = complete(new JsonArray().add(A).add(B), greedy());
        HttpResponse<Buffer> r = post("/v1/completions", greedy().put("prompt", new JsonArray().add(A).add(B))
                .put("stream", true));

        List<StringBuilder> streamed = List.of(new StringBuilder(), new StringBuilder());
        for (String line : r.bodyAsString().split("\n")) {
            if (line.startsWith("data: {")) {
                JsonObject c = new JsonObject(line.substring(6)).getJsonArray("choices").getJsonObject(0);
                streamed.get(c.getInteger("index")).append(c.getString("text"));
            }
        }
        assertThat(streamed.stream().map(StringBuilder::toString).toList())
                .containsExactly(text(whole, 0), text(whole, 1));
    }

    @Test
    void tokenize_counts_what_a_completion_counts_and_detokenize_inverts_it() throws Exception {
        JsonObject t = ok("/tokenize", new JsonObject().put("prompt", A));
        JsonObject answer = complete(A, greedy());

        assertThat(t.getInteger("count")).isEqualTo(t.getJsonArray("tokens").size())
                .isEqualTo(answer.getJsonObject("usage").getInteger("prompt_tokens"));
        assertThat(t.getInteger("max_model_len")).isEqualTo(server.engine.contextLength());
        assertThat(ok("/detokenize", new JsonObject().put("tokens", t.getJsonArray("tokens"))).getString("prompt"))
                .isEqualTo(A);
    }

    @Test
    void bad_tokenizer_calls_and_unkeyed_ones_are_refused_naming_the_problem() throws Exception {
        List<Object[]> cases = new ArrayList<>();
        cases.add(new Object[] {"/tokenize", new JsonObject(), "prompt"});
        cases.add(new Object[] {"/tokenize", new JsonObject().put("prompt", 7), "prompt"});
        cases.add(new Object[] {"/tokenize", new JsonObject().put("prompt", "x")
                .put("messages", new JsonArray()), "prompt"});
        cases.add(new Object[] {"/detokenize", new JsonObject().put("tokens", "abc"), "tokens"});
        cases.add(new Object[] {"/detokenize", new JsonObject().put("tokens", new JsonArray().add(1).add(-1)), "tokens"});
        cases.add(new Object[] {"/detokenize", new JsonObject().put("tokens", new JsonArray().add(1 << 20)), "tokens"});
        for (Object[] c : cases) {
            String reason = "specserve_requests_rejected_total{reason=\"invalid_" + c[2] + "\"}";
            double before = server.metric(reason);
            HttpResponse<Buffer> r = post((String) c[0], (JsonObject) c[1]);
            assertThat(r.statusCode()).as("%s %s", c[0], c[1]).isEqualTo(400);
            assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("param")).isEqualTo(c[2]);
            assertThat(server.metric(reason) - before).as("counted").isEqualTo(1);
        }
        HttpResponse<Buffer> unkeyed = client.post("/tokenize").sendJsonObject(new JsonObject().put("prompt", "x"))
                .await(60, SECONDS);
        assertThat(unkeyed.statusCode()).as("the tokenizer routes sit behind the API key, as /v1/* does")
                .isEqualTo(401);
    }

    @Test
    void a_batch_of_more_sequences_than_the_server_holds_is_400_naming_prompt() throws Exception {
        HttpResponse<Buffer> r = post("/v1/completions", greedy().put("prompt", new JsonArray().add(A).add(B).add(A))
                .put("n", 3));

        assertThat(r.statusCode()).isEqualTo(400);
        JsonObject error = r.bodyAsJsonObject().getJsonObject("error");
        assertThat(error.getString("param")).isEqualTo("prompt");
        assertThat(error.getString("message")).contains("3 prompts", "n = 3", "6");
    }

    /**
     * lm-evaluation-harness's loglikelihood through its remote tokenizer: {@code /tokenizer_info} for the EOS token,
     * {@code /tokenize} without special tokens, then a batch of token prompts (context + continuation) with echo,
     * logprobs 1 and max_tokens 1, summing {@code token_logprobs[ctxlen:-1]} and checking each against its top
     * alternative. Scored so, the model's own greedy continuation must be greedy with the logprobs generation gave.
     */
    @Test
    void an_evaluation_harness_scores_the_greedy_continuation_as_greedy_with_the_logprobs_generation_gave()
            throws Exception {
        JsonObject info = client.get("/tokenizer_info").putHeader("Authorization", "Bearer k").send()
                .await(60, SECONDS).bodyAsJsonObject();
        JsonArray eos = ok("/tokenize", new JsonObject().put("prompt", info.getString("eos_token"))
                .put("add_special_tokens", false)).getJsonArray("tokens");
        assertThat(eos.getList()).containsExactly(info.getJsonArray("eos_token_ids").getInteger(0));
        assertThat(info.getInteger("model_max_length")).isEqualTo(server.engine.contextLength());

        JsonObject generated = complete(A, greedy().put("logprobs", 1));
        JsonArray context = tokens(A);
        JsonArray continuation = ok("/tokenize", new JsonObject().put("prompt", text(generated, 0))
                .put("add_special_tokens", false)).getJsonArray("tokens");
        JsonArray whole = context.copy();
        continuation.forEach(whole::add);
        JsonObject scored = complete(new JsonArray().add(whole).add(context), new JsonObject().put("max_tokens", 1)
                .put("temperature", 0).put("logprobs", 1).put("echo", true));

        JsonObject lp = scored.getJsonArray("choices").getJsonObject(0).getJsonObject("logprobs");
        JsonArray expected = generated.getJsonArray("choices").getJsonObject(0).getJsonObject("logprobs")
                .getJsonArray("token_logprobs");
        assertThat(continuation.size()).as("the continuation re-tokenizes to the tokens generated")
                .isEqualTo(expected.size());
        for (int i = 0; i < continuation.size(); i++) {
            int at = context.size() + i;
            double logprob = lp.getJsonArray("token_logprobs").getDouble(at);
            assertThat(logprob).as("continuation token %d", i).isCloseTo(expected.getDouble(i),
                    org.assertj.core.data.Offset.offset(1e-3));
            assertThat(logprob).as("greedy: the top alternative").isCloseTo(lp.getJsonArray("top_logprobs")
                    .getJsonObject(at).getMap().values().stream().mapToDouble(v -> ((Number) v).doubleValue()).max()
                    .orElseThrow(), org.assertj.core.data.Offset.offset(1e-9));
        }
        assertThat(scored.getJsonArray("choices").getJsonObject(1).getJsonObject("logprobs")
                .getJsonArray("tokens")).as("the second prompt of the batch, scored on its own").hasSize(context.size() + 1);
    }

    @Test
    void version_names_the_build() throws Exception {
        JsonObject v = client.get("/version").send().await(60, SECONDS).bodyAsJsonObject();
        assertThat(v.getString("version")).isEqualTo(BuildInfo.current().version());
    }
    /**
     * vLLM's truncate_prompt_tokens: a prompt longer than the context is cut to its last k tokens, text prompts once
     * tokenized (on a worker) and token prompts as parsed, and then served as those k tokens sent alone.
     */
    @Test
    void truncate_prompt_tokens_keeps_the_prompts_last_tokens() throws Exception {
        String longText = (B + A + "\n").repeat(60);
        int[] ids = server.stack.tokenizer().encode(longText);
        assertThat(ids.length).as("longer than the context").isGreaterThan(600);
        JsonArray last100 = new JsonArray();
        JsonArray all = new JsonArray();
        for (int i = 0; i < ids.length; i++) {
            all.add(ids[i]);
            if (i >= ids.length - 100) {
                last100.add(ids[i]);
            }
        }
        JsonObject cut = greedy().put("truncate_prompt_tokens", 100);

        JsonObject reference = complete(last100, greedy());
        JsonObject fromText = complete(longText, cut);
        JsonObject fromTokens = complete(all, cut);

        for (JsonObject r : List.of(fromText, fromTokens)) {
            assertThat(r.getJsonObject("usage").getInteger("prompt_tokens")).isEqualTo(100);
            assertThat(text(r)).isEqualTo(text(reference));
        }
        HttpResponse<Buffer> tooLong = post("/v1/completions", greedy().put("prompt", longText));
        assertThat(tooLong.statusCode()).as("without it the prompt is refused").isEqualTo(400);
        HttpResponse<Buffer> noRoom = post("/v1/completions", greedy().put("prompt", longText)
                .put("truncate_prompt_tokens", -1));
        assertThat(noRoom.statusCode()).as("-1 keeps as many as the context holds, leaving no room for max_tokens")
                .isEqualTo(400);
        assertThat(noRoom.bodyAsJsonObject().getJsonObject("error").getString("param")).isEqualTo("max_tokens");
        JsonObject filled = complete(longText, new JsonObject().put("temperature", 0).put("truncate_prompt_tokens", 400)
                .put("max_tokens", 8));
        assertThat(filled.getJsonObject("usage").getInteger("prompt_tokens")).isEqualTo(400);
    }

    static String text(JsonObject r) {
        return r.getJsonArray("choices").getJsonObject(0).getString("text");
    }
}
