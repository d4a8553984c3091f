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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** logprobs, penalties, logit_bias and vLLM's token fields over HTTP, in OpenAI's completions format. */
class OpenAiSamplingApiTest {
    static TestServer server;
    static WebClient client;
    static final String PROMPT = "x = [1, 2, 3]\ny = [1, 2, 3]\nz = [1, 2, 3]\nw = [1,";

    @BeforeAll
    static void start() {
        server = TestServer.start();
        client = server.client();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static JsonObject complete(JsonObject body) throws Exception {
        HttpResponse<Buffer> r = client.post("/v1/completions").putHeader("Content-Type", "application/json")
                .sendJsonObject(body).await(60, SECONDS);
        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
        return r.bodyAsJsonObject();
    }

    static JsonObject greedy(String strategy) {
        return new JsonObject().put("prompt", PROMPT).put("max_tokens", 12).put("temperature", 0)
                .put("strategy", strategy);
    }

    @Test
    void logprobs_follow_the_openai_completions_format_and_do_not_depend_on_the_strategy() throws Exception {
        JsonObject plain = complete(greedy("none").put("logprobs", 2));
        JsonObject spec = complete(greedy("suffix").put("logprobs", 2));

        for (JsonObject r : List.of(plain, spec)) {
            JsonObject choice = r.getJsonArray("choices").getJsonObject(0);
            JsonObject lp = choice.getJsonObject("logprobs");
            int n = r.getJsonObject("usage").getInteger("completion_tokens");
            assertThat(lp.getJsonArray("tokens")).hasSize(n);
            assertThat(lp.getJsonArray("token_logprobs")).hasSize(n);
            assertThat(lp.getJsonArray("top_logprobs")).hasSize(n);
            assertThat(lp.getJsonArray("text_offset")).hasSize(n);
            assertThat(String.join("", lp.getJsonArray("tokens").stream().map(Object::toString).toList()))
                    .isEqualTo(choice.getString("text"));
            for (int i = 0; i < n; i++) {
                double chosen = lp.getJsonArray("token_logprobs").getDouble(i);
                JsonObject top = lp.getJsonArray("top_logprobs").getJsonObject(i);
                assertThat(chosen).isLessThanOrEqualTo(0);
                assertThat(top.size()).isBetween(2, 3);
                assertThat(top.getDouble(lp.getJsonArray("tokens").getString(i))).isEqualTo(chosen);
                double best = top.stream().mapToDouble(e -> ((Number) e.getValue()).doubleValue()).max().orElseThrow();
                assertThat(chosen).as("greedy takes the most likely token").isEqualTo(best);
            }
        }
        assertThat(spec.getJsonObject("specserve").getDouble("accepted_mean")).as("suffix drafts accepted").isGreaterThan(1);
        JsonArray a = plain.getJsonArray("choices").getJsonObject(0).getJsonObject("logprobs").getJsonArray("token_logprobs");
        JsonArray b = spec.getJsonArray("choices").getJsonObject(0).getJsonObject("logprobs").getJsonArray("token_logprobs");
        for (int i = 0; i < a.size(); i++) {
            assertThat(b.getDouble(i)).isCloseTo(a.getDouble(i), org.assertj.core.data.Offset.offset(1e-3));
        }
        assertThat(complete(greedy("none")).getJsonArray("choices").getJsonObject(0).getValue("logprobs"))
                .as("no logprobs unless asked").isNull();
    }

    @Test
    void streamed_chunks_carry_the_logprobs_of_their_tokens() throws Exception {
        HttpResponse<Buffer> r = client.post("/v1/completions").putHeader("Content-Type", "application/json")
                .sendJsonObject(greedy("auto").put("logprobs", 1).put("stream", true)).await(60, SECONDS);
        assertThat(r.statusCode()).isEqualTo(200);
        List<String> tokens = new ArrayList<>();
        int completion = -1;
        int expectedOffset = 0;
        for (String line : r.bodyAsString().split("\n")) {
            if (!line.startsWith("data: {")) {
                continue;
            }
            JsonObject chunk = new JsonObject(line.substring(6));
            JsonObject lp = chunk.getJsonArray("choices").getJsonObject(0).getJsonObject("logprobs");
            if (lp != null) {
                for (int i = 0; i < lp.getJsonArray("tokens").size(); i++) {
                    assertThat(lp.getJsonArray("text_offset").getInteger(i)).isEqualTo(expectedOffset);
                    expectedOffset += lp.getJsonArray("tokens").getString(i).length();
                    tokens.add(lp.getJsonArray("tokens").getString(i));
                }
            }
            if (chunk.containsKey("usage")) {
                completion = chunk.getJsonObject("usage").getInteger("completion_tokens");
            }
        }
        assertThat(tokens).hasSize(completion);
    }

    @Test
    void penalties_and_logit_bias_change_greedy_output_the_same_way_for_every_strategy() throws Exception {
        String plain = complete(greedy("none")).getJsonArray("choices").getJsonObject(0).getString("text");
        JsonObject penalties = new JsonObject().put("frequency_penalty", 1.5).put("presence_penalty", 0.5);
        String none = text(complete(greedy("none").mergeIn(penalties)));
        String spec = text(complete(greedy("specblock").mergeIn(penalties)));
        String auto = text(complete(greedy("auto").mergeIn(penalties)));

        assertThat(none).isNotEqualTo(plain);
        assertThat(spec).isEqualTo(none);
        assertThat(auto).isEqualTo(none);

        int z = server.stack.tokenizer().encode("z")[0];
        String biased = text(complete(greedy("suffix").put("max_tokens", 4)
                .put("logit_bias", new JsonObject().put(Integer.toString(z), 100))));
        assertThat(biased).isEqualTo("zzzz");
    }

    static JsonObject sampled(String strategy, long seed) {
        return new JsonObject().put("prompt", PROMPT).put("max_tokens", 10).put("temperature", 1.0).put("seed", seed)
                .put("strategy", strategy);
    }

    @Test
    void n_choices_are_sequences_seeded_seed_plus_index_with_usage_summed() throws Exception {
        JsonObject three = complete(sampled("auto", 77).put("n", 3));

        JsonArray choices = three.getJsonArray("choices");
        assertThat(choices).hasSize(3);
        int completion = 0;
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            JsonObject alone = complete(sampled("none", 77 + i));
            assertThat(choices.getJsonObject(i).getInteger("index")).isEqualTo(i);
            assertThat(choices.getJsonObject(i).getString("text")).as("choice %d", i).isEqualTo(text(alone));
            completion += alone.getJsonObject("usage").getInteger("completion_tokens");
            texts.add(text(alone));
        }
        assertThat(texts).as("three seeds, three samples").doesNotHaveDuplicates();
        JsonObject usage = three.getJsonObject("usage");
        assertThat(usage.getInteger("completion_tokens")).isEqualTo(completion);
        assertThat(usage.getInteger("total_tokens")).isEqualTo(usage.getInteger("prompt_tokens") + completion);
        assertThat(complete(sampled("auto", 77).put("n", 3).put("best_of", 3)).getJsonArray("choices"))
                .as("best_of = n asks for nothing more than n").isEqualTo(choices);
    }

    @Test
    void streamed_n_choices_interleave_chunks_tagged_by_index_then_one_usage_and_done() throws Exception {
        JsonObject whole = complete(sampled("auto", 5).put("n", 2));
        HttpResponse<Buffer> r = client.post("/v1/completions").putHeader("Content-Type", "application/json")
                .sendJsonObject(sampled("auto", 5).put("n", 2).put("stream", true)
                        .put("stream_options", new JsonObject().put("include_usage", true))).await(60, SECONDS);

        assertThat(r.statusCode()).isEqualTo(200);
        StringBuilder[] text = {new StringBuilder(), new StringBuilder()};
        int[] finishes = new int[2];
        List<JsonObject> usages = new ArrayList<>();
        List<String> lines = List.of(r.bodyAsString().split("\n")).stream().filter(l -> l.startsWith("data: ")).toList();
        for (String line : lines.subList(0, lines.size() - 1)) {
            JsonObject chunk = new JsonObject(line.substring(6));
            if (chunk.getJsonArray("choices").isEmpty()) {
                usages.add(chunk.getJsonObject("usage"));
                continue;
            }
            assertThat(chunk.containsKey("usage") && chunk.getValue("usage") == null)
                    .as("usage: null but in its own chunk, for the whole request, as OpenAI's").isTrue();
            JsonObject c = chunk.getJsonArray("choices").getJsonObject(0);
            text[c.getInteger("index")].append(c.getString("text"));
            if (c.getString("finish_reason") != null) {
                finishes[c.getInteger("index")]++;
            }
        }
        assertThat(lines.get(lines.size() - 1)).isEqualTo("data: [DONE]");
        assertThat(finishes).containsExactly(1, 1);
        for (int i = 0; i < 2; i++) {
            assertThat(text[i].toString()).isEqualTo(whole.getJsonArray("choices").getJsonObject(i).getString("text"));
        }
        assertThat(usages).containsExactly(whole.getJsonObject("usage"));
    }

    @Test
    void without_include_usage_the_last_chunk_of_the_last_choice_carries_the_whole_requests_usage() throws Exception {
        JsonObject whole = complete(sampled("auto", 5).put("n", 2));
        HttpResponse<Buffer> r = client.post("/v1/completions").putHeader("Content-Type", "application/json")
                .sendJsonObject(sampled("auto", 5).put("n", 2).put("stream", true)).await(60, SECONDS);

        List<JsonObject> withUsage = List.of(r.bodyAsString().split("\n")).stream()
                .filter(l -> l.startsWith("data: {")).map(l -> new JsonObject(l.substring(6)))
                .filter(c -> c.getValue("usage") != null).toList();
        List<String> data = List.of(r.bodyAsString().split("\n")).stream().filter(l -> l.startsWith("data: ")).toList();

        assertThat(withUsage).hasSize(1);
        assertThat(withUsage.get(0).getJsonObject("usage")).isEqualTo(whole.getJsonObject("usage"));
        assertThat(data.get(data.size() - 2)).as("the last chunk before [DONE]").contains("\"usage\"");
    }

    /** nginx proxies with HTTP/1.0 unless told otherwise: the events come in one body with its length. */
    @Test
    void an_http_1_0_client_gets_the_whole_stream_with_its_length() throws Exception {
        String text = text(complete(greedy("auto")));
        byte[] body = greedy("auto").put("stream", true).encode().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        String answer;
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.httpPort())) {
            socket.setSoTimeout(60_000);
            socket.getOutputStream().write(("POST /v1/completions HTTP/1.0\r\nHost: 127.0.0.1\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().write(body);
            socket.getOutputStream().flush();
            answer = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }

        assertThat(answer).startsWith("HTTP/1.0 200").containsIgnoringCase("content-length:")
                .containsIgnoringCase("content-type: text/event-stream").endsWith("data: [DONE]\n\n");
        StringBuilder streamed = new StringBuilder();
        for (String line : answer.substring(answer.indexOf("\r\n\r\n")).split("\n")) {
            if (line.startsWith("data: {")) {
                streamed.append(new JsonObject(line.substring(6)).getJsonArray("choices").getJsonObject(0).getString("text"));
            }
        }
        assertThat(streamed.toString()).isEqualTo(text);
    }

    @Test
    void echo_puts_the_prompt_before_the_text_whole_and_streamed() throws Exception {
        String plain = text(complete(greedy("auto")));
        String echoed = text(complete(greedy("auto").put("echo", true)));
        HttpResponse<Buffer> r = client.post("/v1/completions").putHeader("Content-Type", "application/json")
                .sendJsonObject(greedy("auto").put("echo", true).put("stream", true)).await(60, SECONDS);
        StringBuilder streamed = new StringBuilder();
        String first = null;
        for (String line : r.bodyAsString().split("\n")) {
            if (line.startsWith("data: {")) {
                String t = new JsonObject(line.substring(6)).getJsonArray("choices").getJsonObject(0).getString("text");
                first = first == null ? t : first;
                streamed.append(t);
            }
        }

        assertThat(echoed).isEqualTo(PROMPT + plain);
        assertThat(first).as("the prompt comes first, as one chunk").isEqualTo(PROMPT);
        assertThat(streamed.toString()).isEqualTo(PROMPT + plain);
    }

    /**
     * What evaluation harnesses send to score a continuation (lm-evaluation-harness: echo, logprobs 1, max_tokens
     * 1): the prompt tokens' logprobs, the first null, then the output's. Asked twice, so the second finds the
     * prompt in the prefix cache, which must not cost it the prompt's logprobs.
     */
    @Test
    void echo_with_logprobs_scores_every_prompt_token_after_the_first() throws Exception {
        JsonObject body = new JsonObject().put("prompt", PROMPT).put("max_tokens", 1).put("temperature", 0)
                .put("logprobs", 1).put("echo", true);
        JsonObject scored = complete(body);
        JsonObject again = complete(body);
        JsonObject alone = complete(greedy("none").put("max_tokens", 1).put("logprobs", 1));

        JsonObject choice = scored.getJsonArray("choices").getJsonObject(0);
        JsonObject lp = choice.getJsonObject("logprobs");
        int promptTokens = scored.getJsonObject("usage").getInteger("prompt_tokens");
        assertThat(lp.getJsonArray("tokens")).hasSize(promptTokens + 1);
        assertThat(lp.getJsonArray("token_logprobs").getValue(0)).isNull();
        assertThat(lp.getJsonArray("top_logprobs").getValue(0)).isNull();
        for (int i = 1; i < promptTokens; i++) {
            assertThat(lp.getJsonArray("token_logprobs").getDouble(i)).as("prompt token %d", i).isLessThanOrEqualTo(0);
            assertThat(lp.getJsonArray("top_logprobs").getJsonObject(i).size()).isBetween(1, 2);
        }
        assertThat(String.join("", lp.getJsonArray("tokens").stream().map(Object::toString).toList()))
                .isEqualTo(choice.getString("text"));
        assertThat(lp.getJsonArray("token_logprobs").getDouble(promptTokens)).as("the output token's, as without echo")
                .isEqualTo(alone.getJsonArray("choices").getJsonObject(0).getJsonObject("logprobs")
                        .getJsonArray("token_logprobs").getDouble(0));
        assertThat(again.getJsonArray("choices")).isEqualTo(scored.getJsonArray("choices"));
    }

    /**
     * vLLM's prompt_logprobs: per prompt token after the first, its logprob, rank and the top alternatives by token id,
     * the same numbers echo with logprobs reports; the completion itself is served as without it.
     */
    @Test
    void prompt_logprobs_score_each_prompt_token_as_vllm_reports_them() throws Exception {
        JsonObject echoed = complete(new JsonObject().put("prompt", PROMPT).put("max_tokens", 4).put("temperature", 0)
                .put("logprobs", 2).put("echo", true)).getJsonArray("choices").getJsonObject(0);
        JsonObject r = complete(greedy("auto").put("max_tokens", 4).put("prompt_logprobs", 2));

        JsonObject choice = r.getJsonArray("choices").getJsonObject(0);
        JsonArray prompt = choice.getJsonArray("prompt_logprobs");
        int promptTokens = r.getJsonObject("usage").getInteger("prompt_tokens");
        JsonArray echoedLogprobs = echoed.getJsonObject("logprobs").getJsonArray("token_logprobs");
        assertThat(prompt).hasSize(promptTokens);
        assertThat(prompt.getValue(0)).as("nothing predicts the first token").isNull();
        int[] ids = server.stack.tokenizer().encode(PROMPT);
        for (int i = 1; i < promptTokens; i++) {
            JsonObject position = prompt.getJsonObject(i);
            JsonObject own = position.getJsonObject(String.valueOf(ids[i]));
            assertThat(own.getDouble("logprob")).as("prompt token %d", i)
                    .isCloseTo(echoedLogprobs.getDouble(i), org.assertj.core.data.Offset.offset(1e-9));
            assertThat(own.getInteger("rank")).isPositive();
            assertThat(own.getString("decoded_token")).isEqualTo(server.stack.tokenizer().decode(new int[] {ids[i]}));
            assertThat(position.size()).as("the token and two alternatives, once each").isBetween(2, 3);
            assertThat(position.stream().map(e -> ((JsonObject) e.getValue()).getInteger("rank")).toList())
                    .contains(1);
            if (own.getInteger("rank") == 1) {
                assertThat(position.size()).isEqualTo(2);
            }
        }
        assertThat(choice.getString("text")).isEqualTo(echoed.getString("text").substring(PROMPT.length()));
        assertThat(choice.getValue("logprobs")).isNull();
        assertThat(complete(greedy("none")).getJsonArray("choices").getJsonObject(0).containsKey("prompt_logprobs"))
                .as("only when asked").isFalse();
    }

    /**
     * Scoring a prompt alone, as OpenAI's legacy completions and vLLM allow (HELM and older harnesses send it):
     * echo, logprobs and max_tokens 0 answer the prompt's text and its tokens' logprobs, with no completion.
     */
    @Test
    void echo_with_max_tokens_zero_answers_the_prompt_scored_and_nothing_more() throws Exception {
        JsonObject scoring = new JsonObject().put("prompt", PROMPT).put("temperature", 0).put("logprobs", 1)
                .put("echo", true);
        JsonObject withOne = complete(scoring.copy().put("max_tokens", 1));
        JsonObject alone = complete(scoring.copy().put("max_tokens", 0));
        HttpResponse<Buffer> streamed = client.post("/v1/completions").putHeader("Content-Type", "application/json")
                .sendJsonObject(new JsonObject().put("prompt", PROMPT).put("echo", true).put("max_tokens", 0)
                        .put("stream", true)).await(60, SECONDS);

        JsonObject choice = alone.getJsonArray("choices").getJsonObject(0);
        int promptTokens = alone.getJsonObject("usage").getInteger("prompt_tokens");
        assertThat(choice.getString("text")).isEqualTo(PROMPT);
        assertThat(choice.getString("finish_reason")).isEqualTo("length");
        assertThat(alone.getJsonObject("usage").getInteger("completion_tokens")).isZero();
        JsonObject lp = choice.getJsonObject("logprobs");
        JsonObject lpWithOne = withOne.getJsonArray("choices").getJsonObject(0).getJsonObject("logprobs");
        assertThat(lp.getJsonArray("tokens")).hasSize(promptTokens);
        assertThat(lp.getJsonArray("token_logprobs").getList())
                .isEqualTo(lpWithOne.getJsonArray("token_logprobs").getList().subList(0, promptTokens));
        StringBuilder text = new StringBuilder();
        for (String line : streamed.bodyAsString().split("\n")) {
            if (line.startsWith("data: {")) {
                JsonObject chunk = new JsonObject(line.substring(6));
                if (!chunk.getJsonArray("choices").isEmpty()) {
                    text.append(chunk.getJsonArray("choices").getJsonObject(0).getString("text"));
                }
            }
        }
        assertThat(text.toString()).isEqualTo(PROMPT);
    }

    @Test
    void max_tokens_zero_without_echo_is_refused_naming_max_tokens() throws Exception {
        HttpResponse<Buffer> r = client.post("/v1/completions").putHeader("Content-Type", "application/json")
                .sendJsonObject(new JsonObject().put("prompt", PROMPT).put("max_tokens", 0)).await(60, SECONDS);

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("param")).isEqualTo("max_tokens");
        assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("message")).contains("echo");
    }

    /** OpenAI's JSON mode: the text is a JSON object, or its beginning when max_tokens cut it short. */
    @Test
    void json_mode_answers_with_a_json_object_under_every_strategy_alike() throws Exception {
        java.util.Set<String> texts = new java.util.HashSet<>();
        for (String strategy : List.of("none", "auto")) {
            JsonObject r = complete(greedy(strategy).put("max_tokens", 64)
                    .put("response_format", new JsonObject().put("type", "json_object")));
            String text = text(r);
            texts.add(text);
            assertThat(new dev.specserve.runtime.grammar.JsonObjectGrammar().acceptAll(
                    text.getBytes(java.nio.charset.StandardCharsets.UTF_8))).as(text).isTrue();
            if ("stop".equals(r.getJsonArray("choices").getJsonObject(0).getString("finish_reason"))) {
                assertThat(new JsonObject(text)).isNotNull();
            }
        }
        assertThat(texts).as("greedy: the same text under both strategies").hasSize(1);
        assertThat(texts.iterator().next()).isNotEqualTo(text(complete(greedy("none").put("max_tokens", 64))));
    }

    /** vLLM's include_stop_str_in_output: the text ends with the stop string instead of just before it. */
    @Test
    void include_stop_str_in_output_keeps_the_stop_string_in_plain_and_streamed_text() throws Exception {
        String plain = text(complete(greedy("auto").put("max_tokens", 16)));
        assertThat(plain.length()).as(plain).isGreaterThan(8);
        JsonArray stop = new JsonArray().add(plain.substring(5, 7));
        JsonObject cut = complete(greedy("auto").put("max_tokens", 16).put("stop", stop));
        JsonObject kept = complete(greedy("auto").put("max_tokens", 16).put("stop", stop)
                .put("include_stop_str_in_output", true));

        assertThat(cut.getJsonArray("choices").getJsonObject(0).getString("finish_reason")).isEqualTo("stop");
        assertThat(text(kept)).isEqualTo(text(cut) + stop.getString(0));
        assertThat(plain).startsWith(text(kept));
        HttpResponse<Buffer> streamed = client.post("/v1/completions").sendJsonObject(greedy("auto")
                .put("max_tokens", 16).put("stop", stop).put("include_stop_str_in_output", true)
                .put("stream", true)).await(60, SECONDS);
        StringBuilder text = new StringBuilder();
        for (String line : streamed.bodyAsString().split("\n")) {
            if (line.startsWith("data: {")) {
                text.append(new JsonObject(line.substring(6)).getJsonArray("choices").getJsonObject(0).getString("text"));
            }
        }
        assertThat(text.toString()).isEqualTo(text(kept));
    }

    static String text(JsonObject r) {
        return r.getJsonArray("choices").getJsonObject(0).getString("text");
    }

    static JsonObject choice(JsonObject body) throws Exception {
        return complete(body).getJsonArray("choices").getJsonObject(0);
    }

    @Test
    void skip_special_tokens_false_writes_special_tokens_into_the_text_and_logprobs() throws Exception {
        var tok = server.stack.tokenizer();
        JsonObject request = new JsonObject().put("prompt", "x = [1, 2, 3]\ny = [").put("max_tokens", 3)
                .put("temperature", 0).put("ignore_eos", true).put("logprobs", 0)
                .put("logit_bias", new JsonObject().put(String.valueOf(tok.eosId()), 100));
        String eos = tok.tokenText(tok.eosId());

        JsonObject skipped = choice(request);
        JsonObject written = choice(request.copy().put("skip_special_tokens", false));

        assertThat(eos).isNotEmpty();
        assertThat(skipped.getString("text")).isEmpty();
        assertThat(written.getString("text")).isEqualTo(eos.repeat(3));
        assertThat(written.getJsonObject("logprobs").getJsonArray("tokens").getList()).containsExactly(eos, eos, eos);
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"none", "auto"})
    void allowed_token_ids_and_bad_words_are_served_as_vllm_serves_them(String strategy) throws Exception {
        JsonObject request = new JsonObject().put("prompt", "x = [1, 2, 3]\ny = [1, 2, 3]\nz = [").put("max_tokens", 12)
                .put("temperature", 0).put("strategy", strategy);
        var tok = server.stack.tokenizer();
        assertThat(choice(request).getString("text")).contains("2, 2");
        JsonArray allowed = new JsonArray().add(tok.encode(",")[0]).add(tok.encode(" 3")[0]).add(tok.encode("1")[0]);

        JsonObject only = choice(request.copy().put("allowed_token_ids", allowed));
        JsonObject banned = choice(request.copy().put("bad_words", new JsonArray().add("2, 2")));

        assertThat(only.getString("text")).isNotEmpty().matches("[, 31]*");
        assertThat(banned.getString("text")).isNotEmpty().doesNotContain("2, 2");
    }
    /**
     * Tokens a mask rules out still fill the alternatives asked for, at OpenAI's and vLLM's floor of -9999: negative
     * infinity is no JSON number (it went out as the string "-Infinity", which typed clients cannot read).
     */
    @Test
    void alternatives_a_mask_rules_out_are_reported_at_minus_9999_not_as_infinity() throws Exception {
        var tok = server.stack.tokenizer();
        JsonObject request = greedy("auto").put("max_tokens", 3).put("logprobs", 5)
                .put("allowed_token_ids", new JsonArray().add(tok.encode(",")[0]).add(tok.encode(" 3")[0]));
        HttpResponse<Buffer> r = client.post("/v1/completions").putHeader("Content-Type", "application/json")
                .sendJsonObject(request).await(60, SECONDS);

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.bodyAsString()).doesNotContain("Infinity");
        JsonObject top = r.bodyAsJsonObject().getJsonArray("choices").getJsonObject(0).getJsonObject("logprobs")
                .getJsonArray("top_logprobs").getJsonObject(0);
        assertThat(top.size()).isEqualTo(5);
        assertThat(top.getMap().values()).filteredOn(v -> ((Number) v).doubleValue() == -9999.0).hasSize(3);
    }

    /**
     * Pieces of multi-byte characters all decode to U+FFFD on their own; the completions format names them by their
     * bytes, as OpenAI does, so that different pieces stay different alternatives and the chosen token's entry is
     * its own (keyed by text, one piece's logprob stood in for another's).
     */
    @Test
    void pieces_of_characters_are_named_by_their_bytes_and_keep_their_own_logprobs() throws Exception {
        var tok = server.stack.tokenizer();
        int e = tok.encode("\u00e9")[0]; // the 0xC3 lead byte of é
        int a = tok.encode("\u0101")[0]; // the 0xC4 lead byte of ā
        assertThat(e).isNotEqualTo(a);
        for (int seed = 0; seed < 6; seed++) {
            JsonObject lp = choice(new JsonObject().put("prompt", "x = '").put("max_tokens", 2).put("temperature", 1)
                    .put("seed", seed).put("logprobs", 2).put("allowed_token_ids", new JsonArray().add(e).add(a))
                    .put("logit_bias", new JsonObject().put(String.valueOf(a), 2.0))).getJsonObject("logprobs");
            for (int i = 0; i < 2; i++) {
                String token = lp.getJsonArray("tokens").getString(i);
                JsonObject top = lp.getJsonArray("top_logprobs").getJsonObject(i);
                assertThat(token).isIn("bytes:\\xc3", "bytes:\\xc4");
                assertThat(top.fieldNames()).containsExactlyInAnyOrder("bytes:\\xc3", "bytes:\\xc4");
                assertThat(top.getDouble(token)).as("seed %d, token %d", seed, i)
                        .isEqualTo(lp.getJsonArray("token_logprobs").getDouble(i));
            }
        }
    }

    /**
     * {@code text_offset} is where each token's text begins in the completion, in characters: the pieces of a
     * multi-byte character both point at it, and no offset runs past the text (each piece counted as a whole
     * U+FFFD character, the offsets ran past the end), streamed or not.
     */
    @Test
    void text_offsets_count_characters_when_a_character_is_split_across_tokens() throws Exception {
        JsonObject request = new JsonObject().put("prompt", "Le caf\u00e9 est").put("max_tokens", 8).put("temperature", 0)
                .put("logprobs", 1).put("guided_regex", "( \u00e9){2}x");
        JsonObject c = choice(request);
        String text = c.getString("text");
        JsonObject lp = c.getJsonObject("logprobs");
        assertThat(text).isEqualTo(" \u00e9 \u00e9x");
        List<Integer> offsets = new ArrayList<>();
        for (int i = 0; i < lp.getJsonArray("tokens").size(); i++) {
            String token = lp.getJsonArray("tokens").getString(i);
            int offset = lp.getJsonArray("text_offset").getInteger(i);
            offsets.add(offset);
            assertThat(offset).isLessThan(text.length());
            if (token.startsWith("bytes:")) {
                assertThat(text.charAt(offset)).as("token %d", i).isEqualTo('\u00e9');
            } else {
                assertThat(text.substring(offset)).as("token %d", i).startsWith(token);
            }
        }
        assertThat(offsets).isSorted();

        HttpResponse<Buffer> r = client.post("/v1/completions").putHeader("Content-Type", "application/json")
                .sendJsonObject(request.copy().put("stream", true)).await(60, SECONDS);
        List<Integer> streamed = new ArrayList<>();
        for (String line : r.bodyAsString().split("\n")) {
            JsonObject chunkLp = line.startsWith("data: {") ? new JsonObject(line.substring(6)).getJsonArray("choices")
                    .getJsonObject(0).getJsonObject("logprobs") : null;
            if (chunkLp != null) {
                chunkLp.getJsonArray("text_offset").forEach(o -> streamed.add((Integer) o));
            }
        }
        assertThat(streamed).isEqualTo(offsets);
    }
}
