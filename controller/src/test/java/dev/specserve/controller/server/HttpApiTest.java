package dev.specserve.controller.server;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The HTTP API against the real engine and models, through a real HTTP client. */
@ExtendWith(VertxExtension.class)
class HttpApiTest {
    static TestServer server;
    static WebClient client;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("admin_token", "s3cret"));
        client = server.client();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static JsonObject greedy(String prompt, int maxTokens) {
        return new JsonObject().put("prompt", prompt).put("max_tokens", maxTokens).put("temperature", 0);
    }

    static HttpResponse<Buffer> complete(JsonObject body) throws Exception {
        return client.post("/v1/completions").sendJsonObject(body).await(60, SECONDS);
    }

    /** The {@code data:} payloads of a server-sent-event body, in order. */
    static List<String> events(String body) {
        List<String> data = new ArrayList<>();
        for (String event : body.split("\n\n")) {
            if (!event.isBlank()) {
                assertThat(event).startsWith("data: ");
                data.add(event.substring("data: ".length()));
            }
        }
        return data;
    }

    @Test
    void a_completion_answers_in_the_openai_shape_with_usage_and_speculation_stats() throws Exception {
        HttpResponse<Buffer> r = complete(greedy("def add(a, b):", 12).put("model", server.engine.modelName()));

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.getHeader("Content-Type")).startsWith("application/json");
        JsonObject body = r.bodyAsJsonObject();
        assertThat(body.getString("id")).startsWith("cmpl-");
        assertThat(r.getHeader("X-Request-Id")).as("as a stream's head carries it").isEqualTo(body.getString("id"));
        assertThat(body.getString("object")).isEqualTo("text_completion");
        assertThat(body.getLong("created")).isPositive();
        assertThat(body.getString("model")).isEqualTo(server.engine.modelName());
        JsonObject choice = body.getJsonArray("choices").getJsonObject(0);
        assertThat(choice.getInteger("index")).isZero();
        assertThat(choice.getString("text")).isNotNull();
        assertThat(choice.getString("finish_reason")).isIn("stop", "length");
        assertThat(choice.containsKey("logprobs")).isTrue();
        assertThat(choice.getValue("logprobs")).isNull();
        JsonObject usage = body.getJsonObject("usage");
        assertThat(usage.getInteger("prompt_tokens")).isPositive();
        assertThat(usage.getInteger("completion_tokens")).isBetween(1, 12);
        assertThat(usage.getInteger("total_tokens"))
                .isEqualTo(usage.getInteger("prompt_tokens") + usage.getInteger("completion_tokens"));
        JsonObject spec = body.getJsonObject("specserve");
        assertThat(spec.getInteger("rounds")).isPositive();
        assertThat(spec.getDouble("accepted_mean")).isGreaterThanOrEqualTo(1.0);
        assertThat(spec.getLong("drafter_version")).isNotNull();
        assertThat(spec.getString("strategy")).isEqualTo(server.engine.defaultStrategy());
    }

    @Test
    void a_request_may_pick_its_strategy_and_stop_strings() throws Exception {
        JsonObject body = complete(greedy("import os\n", 8).put("strategy", "ngram").put("stop", new JsonArray().add("\n\n\n")))
                .bodyAsJsonObject();

        assertThat(body.getJsonObject("specserve").getString("strategy")).isEqualTo("ngram");
        assertThat(body.getJsonArray("choices").getJsonObject(0).getString("text")).doesNotContain("\n\n\n");
    }

    @Test
    void with_stop_strings_a_stream_sends_exactly_the_text_the_whole_answer_has() throws Exception {
        String whole = complete(greedy("class Stack:\n    def", 32).put("strategy", "auto")).bodyAsJsonObject()
                .getJsonArray("choices").getJsonObject(0).getString("text");
        for (int at = 4; at + 3 <= whole.length(); at += Math.max(1, whole.length() / 6)) {
            JsonObject request = greedy("class Stack:\n    def", 32).put("strategy", "auto")
                    .put("stop", new JsonArray().add(whole.substring(at, at + 3)));
            String expected = complete(request).bodyAsJsonObject().getJsonArray("choices").getJsonObject(0).getString("text");

            StringBuilder streamed = new StringBuilder();
            List<String> data = events(complete(request.copy().put("stream", true)).bodyAsString());
            for (String d : data.subList(0, data.size() - 1)) {
                streamed.append(new JsonObject(d).getJsonArray("choices").getJsonObject(0).getString("text"));
            }
            assertThat(streamed.toString()).as("stop %s", request.getJsonArray("stop")).isEqualTo(expected);
        }
    }

    @Test
    void streaming_sends_text_deltas_then_done_and_the_deltas_add_up_to_the_greedy_text() throws Exception {
        JsonObject request = greedy("class Stack:\n    def", 16);
        String expected = complete(request).bodyAsJsonObject().getJsonArray("choices").getJsonObject(0).getString("text");

        HttpResponse<Buffer> r = complete(request.copy().put("stream", true));

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.getHeader("Content-Type")).startsWith("text/event-stream");
        List<String> data = events(r.bodyAsString());
        assertThat(data).last().isEqualTo("[DONE]");
        List<JsonObject> chunks = data.subList(0, data.size() - 1).stream().map(JsonObject::new).toList();
        StringBuilder text = new StringBuilder();
        for (JsonObject chunk : chunks) {
            assertThat(chunk.getString("object")).isEqualTo("text_completion");
            text.append(chunk.getJsonArray("choices").getJsonObject(0).getString("text"));
        }
        assertThat(text.toString()).isEqualTo(expected);
        JsonObject last = chunks.get(chunks.size() - 1);
        assertThat(last.getJsonArray("choices").getJsonObject(0).getString("finish_reason")).isIn("stop", "length");
        assertThat(last.getJsonObject("usage").getInteger("completion_tokens")).isBetween(1, 16);
        assertThat(chunks.subList(0, chunks.size() - 1))
                .allSatisfy(c -> assertThat(c.getJsonArray("choices").getJsonObject(0).getValue("finish_reason")).isNull());
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "n = {0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 3})
    @io.vertx.junit5.Timeout(value = 60, timeUnit = SECONDS)
    void a_client_that_disconnects_mid_stream_cancels_every_choice_of_its_request(int n, VertxTestContext test) {
        HttpClient http = server.clientVertx().createHttpClient(new HttpClientOptions());
        AtomicReference<String> requestId = new AtomicReference<>();
        JsonObject body = greedy("def main():", server.engine.contextLength() - 16).put("strategy", "none")
                .put("domain", TestServer.SLOW).put("stream", true).put("n", n);
        http.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(server.httpPort())
                        .setURI("/v1/completions").putHeader("Content-Type", "application/json"))
                .compose(req -> req.send(body.toBuffer()))
                .onComplete(test.succeeding(resp -> {
                    requestId.set(resp.getHeader("X-Request-Id"));
                    resp.handler(chunk -> {
                        if (chunk.toString().contains("data: {")) {
                            resp.request().connection().close(); // the client goes away after the first chunk
                        }
                    });
                }));
        // engine request ids: the response's id for one choice, id-i for several
        java.util.function.Supplier<java.util.List<String>> ids = () -> n == 1 ? java.util.List.of(requestId.get())
                : java.util.stream.IntStream.range(0, n).mapToObj(i -> requestId.get() + "-" + i).toList();
        server.clientVertx().executeBlocking(() -> {
            TestServer.awaitCondition(() -> requestId.get() != null
                    && ids.get().stream().allMatch(server.finished::containsKey), Duration.ofSeconds(50),
                    "every choice to finish");
            return ids.get().stream().map(server.finished::get).toList();
        }).onComplete(test.succeeding(reasons -> test.verify(() -> {
            assertThat(reasons).hasSize(n).containsOnly("cancelled");
            server.awaitIdle();
            assertThat(server.engine.running()).isZero();
            test.completeNow();
        })));
    }

    @Test
    void models_lists_the_served_model_with_its_context_length() throws Exception {
        JsonObject body = client.get("/v1/models").send().await(10, SECONDS).bodyAsJsonObject();

        assertThat(body.getString("object")).isEqualTo("list");
        JsonObject model = body.getJsonArray("data").getJsonObject(0);
        assertThat(model.getString("id")).isEqualTo(server.engine.modelName());
        assertThat(model.getString("object")).isEqualTo("model");
        assertThat(model.getInteger("max_model_len")).isEqualTo(server.engine.contextLength());
        assertThat(model.getJsonArray("strategies").getList()).containsAll(server.engine.strategies());
    }

    @Test
    void models_and_metrics_carry_the_build_version_and_commit() throws Exception {
        BuildInfo build = BuildInfo.current();
        // the build filtered build-info.properties: a Maven version, not the "dev" fallback
        assertThat(build.version()).matches("\\d+\\.\\d+\\.\\d+.*");
        assertThat(build.commit()).isNotBlank().doesNotContain("${");

        JsonObject model = client.get("/v1/models").send().await(10, SECONDS).bodyAsJsonObject()
                .getJsonArray("data").getJsonObject(0);
        assertThat(model.getString("specserve_version")).isEqualTo(build.version());
        assertThat(model.getString("specserve_commit")).isEqualTo(build.commit());

        String metrics = client.get("/metrics").send().await(10, SECONDS).bodyAsString();
        assertThat(metrics).contains("specserve_build_info{commit=\"" + build.commit() + "\",version=\""
                + build.version() + "\"} 1");
    }

    @Test
    void usage_reports_the_prompt_tokens_the_prefix_cache_served_as_openai_does() throws Exception {
        String prompt = "class Ledger:\n    \"\"\"A ledger of usage-test entries.\"\"\"\n".repeat(12);
        JsonObject cold = complete(greedy(prompt, 2)).bodyAsJsonObject().getJsonObject("usage");
        JsonObject warm = complete(greedy(prompt, 2)).bodyAsJsonObject().getJsonObject("usage");

        assertThat(cold.getJsonObject("prompt_tokens_details").getInteger("cached_tokens")).isZero();
        assertThat(warm.getJsonObject("prompt_tokens_details").getInteger("cached_tokens"))
                .as("the repeat's whole blocks come from the cache").isPositive()
                .isLessThanOrEqualTo(warm.getInteger("prompt_tokens"));
    }

    @Test
    @org.junit.jupiter.api.condition.EnabledOnOs(org.junit.jupiter.api.condition.OS.LINUX)
    void metrics_show_the_whole_process_memory_beside_the_jvm_own() throws Exception {
        String metrics = client.get("/metrics").send().await(10, SECONDS).bodyAsString();

        // native memory (ONNX Runtime, the JIT, malloc) is only visible in the process's own resident set
        assertThat(metrics).containsPattern("(?m)^process_resident_memory_bytes [1-9][0-9.E]+$")
                .containsPattern("(?m)^process_virtual_memory_bytes [1-9][0-9.E]+$")
                .contains("jvm_memory_committed_bytes{area=\"heap\"");
    }

    @Test
    void an_event_a_listener_could_not_handle_is_counted_not_just_logged() throws Exception {
        double before = server.metric("specserve_engine_listener_errors_total");
        server.engine.addListener(new dev.specserve.runtime.engine.EngineListener() {
            @Override
            public void onFinished(String requestId, dev.specserve.runtime.spec.GenerationResult result,
                                   dev.specserve.runtime.engine.RequestStats stats) {
                if (requestId.startsWith("cmpl-")) {
                    throw new IllegalArgumentException("drafter_version must be >= 0"); // as a bad event would
                }
            }
        });

        client.post("/v1/completions").sendJsonObject(new JsonObject().put("prompt", "x").put("max_tokens", 2))
                .await(60, SECONDS);

        TestServer.awaitCondition(() -> server.metric("specserve_engine_listener_errors_total") >= before + 1,
                java.time.Duration.ofSeconds(10), "the listener's failure to be counted");
    }

    @Test
    void head_answers_wherever_get_does_with_the_same_status_and_no_body() throws Exception {
        for (String path : List.of("/v1/models", "/v1/models/" + server.engine.modelName(), "/metrics", "/health")) {
            HttpResponse<Buffer> get = client.get(path).send().await(10, SECONDS);
            HttpResponse<Buffer> head = client.head(path).send().await(10, SECONDS);

            assertThat(head.statusCode()).as(path).isEqualTo(get.statusCode()).isEqualTo(200);
            assertThat(head.body() == null || head.body().length() == 0).as(path + ": no body").isTrue();
        }
        assertThat(client.head("/v1/models/other").send().await(10, SECONDS).statusCode()).isEqualTo(404);
    }

    @Test
    void health_is_always_200_and_ready_is_200_once_the_engine_has_warmed_up() throws Exception {
        HttpResponse<Buffer> health = client.get("/health").send().await(10, SECONDS);
        HttpResponse<Buffer> ready = client.get("/ready").send().await(10, SECONDS);

        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.bodyAsJsonObject().getString("status")).isEqualTo("ready");
    }

    @Test
    void metrics_render_the_speculative_decoding_meters_in_prometheus_text_after_a_request() throws Exception {
        complete(greedy("for i in range(10):", 12).put("strategy", "specblock-fixed"));
        complete(greedy("x = [1, 2, 3]\ny = [1, 2, 3]\nz = [1, 2, 3]\nw = [1,", 16).put("strategy", "suffix"));

        HttpResponse<Buffer> r = client.get("/metrics").send().await(10, SECONDS);

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.getHeader("Content-Type")).startsWith("text/plain");
        String text = r.bodyAsString();
        assertThat(text).as("HTTP metrics by route, so probes and scrapes stay out of the completions' latencies")
                .containsPattern("vertx_http_server_requests_total\\{code=\"200\",method=\"POST\",route=\"/v1/completions");
        assertThat(text).contains(
                "specserve_time_to_first_token_seconds_bucket",
                "specserve_inter_token_latency_seconds_bucket",
                "specserve_e2e_request_latency_seconds_bucket",
                "specserve_request_queue_time_seconds_bucket",
                "specserve_num_requests_running ",
                "specserve_num_requests_waiting ",
                "specserve_prefix_cache_bytes ",
                "specserve_prefix_cache_hit_rate ",
                "specserve_prefix_cache_queries_total ",
                "specserve_prefix_cache_hits_total ",
                "specserve_batch_slots ",
                "specserve_access_log_dropped_total ",
                "specserve_queue_capacity ",
                "specserve_prefix_cache_skipped_blocks_total ",
                "specserve_drafter_version ",
                "specserve_prompt_tokens_total ",
                "specserve_generation_tokens_total ",
                "specserve_spec_decode_num_drafts_total ",
                "specserve_spec_decode_num_draft_tokens_total{source=\"model\"}",
                "specserve_spec_decode_num_draft_tokens_total{source=\"suffix\"}",
                "specserve_spec_decode_num_draft_tokens_total{source=\"both\"}",
                "specserve_spec_decode_num_accepted_tokens_total{source=\"model\"}",
                "specserve_spec_decode_num_accepted_tokens_total{source=\"suffix\"}",
                "specserve_spec_decode_lookup_corpus_draft_tokens_total ",
                "specserve_spec_decode_lookup_corpus_accepted_tokens_total ",
                "specserve_planner_verify_cost_intercept_ms ",
                "specserve_planner_verify_cost_per_token_ms ",
                "specserve_planner_verify_cost_per_kv_kilorow_ms ",
                "specserve_planner_verify_cost_predicted_over_actual ",
                "specserve_planner_draft_cost_intercept_ms ",
                "specserve_planner_draft_cost_per_row_ms ",
                "specserve_planner_plain_step_ratio ",
                "specserve_planner_model_call_ratio ",
                "specserve_planner_model_batch_mean ",
                "specserve_planner_acceptance_discount_sampled ",
                "specserve_planner_cost_outliers_left_out_total ", "specserve_requests_finished_total{finish_reason=\"timeout\"} ",
                "specserve_requests_finished_total{finish_reason=",
                "specserve_requests_rejected_total{reason=\"queue_full\"}",
                "specserve_engine_busy_seconds_total{phase=\"prefill\"}",
                "specserve_engine_busy_seconds_total{phase=\"round\"}",
                "vertx_http_server_requests_total");
        assertThat(server.metric("specserve_engine_busy_seconds_total{phase=\"prefill\"}")).isPositive();
        assertThat(server.metric("specserve_engine_busy_seconds_total{phase=\"round\"}")).isPositive();
        assertThat(server.metric("specserve_spec_decode_num_drafts_total")).isPositive();
        assertThat(server.metric("specserve_spec_decode_num_draft_tokens_total{source=\"model\"}")).isPositive();
        assertThat(server.metric("specserve_spec_decode_num_draft_tokens_total{source=\"suffix\"}")).isPositive();
        assertThat(server.metric("specserve_planner_verify_cost_per_token_ms")).as("calibrated at start-up").isPositive();
        assertThat(server.metric("specserve_generation_tokens_total")).isGreaterThanOrEqualTo(12);
        if (server.metric("specserve_spec_decode_num_accepted_tokens_total{source=\"model\"}") > 0) {
            assertThat(text).contains("specserve_spec_decode_num_accepted_tokens_per_pos_total{position=\"1\"}");
        }
    }

    @Test
    void unknown_routes_and_methods_answer_with_a_json_error() throws Exception {
        HttpResponse<Buffer> missing = client.get("/v1/nothing").send().await(10, SECONDS);
        HttpResponse<Buffer> wrongMethod = client.get("/v1/completions").send().await(10, SECONDS);

        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.bodyAsJsonObject().getJsonObject("error").getInteger("code")).isEqualTo(404);
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
        assertThat(wrongMethod.getHeader("Allow")).as("RFC 9110: a 405 lists what is allowed").isEqualTo("POST");
        assertThat(client.delete("/health").send().await(10, SECONDS).getHeader("Allow")).isEqualTo("GET, HEAD");
        assertThat(client.post("/v1/models/specserve-demo").send().await(10, SECONDS).getHeader("Allow"))
                .isEqualTo("GET, HEAD");
        assertThat(client.get("/v1/completions/").send().await(10, SECONDS).getHeader("Allow"))
                .as("a trailing slash routes as without").isEqualTo("POST");
        assertThat(client.get("/admin/drafter/swap").putHeader("Authorization", "Bearer s3cret").send()
                .await(10, SECONDS).getHeader("Allow")).as("under a wildcard route").isEqualTo("POST");
        assertThat(wrongMethod.bodyAsJsonObject().getJsonObject("error").getInteger("code")).isEqualTo(405);
    }

    @Test
    void admin_config_needs_the_admin_token_and_never_shows_it() throws Exception {
        HttpResponse<Buffer> anonymous = client.get("/admin/config").send().await(10, SECONDS);
        HttpResponse<Buffer> admin = client.get("/admin/config").putHeader("Authorization", "Bearer s3cret").send()
                .await(10, SECONDS);

        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(admin.statusCode()).isEqualTo(200);
        JsonObject config = admin.bodyAsJsonObject().getJsonObject("config");
        assertThat(config.fieldNames()).as("every setting, by its config-file key")
                .containsExactlyElementsOf(java.util.Arrays.stream(dev.specserve.controller.config.ConfigKey.values())
                        .map(dev.specserve.controller.config.ConfigKey::key).toList());
        assertThat(config.getInteger("max_batch")).isEqualTo(server.server.config().maxBatch());
        assertThat(config.getString("admin_token")).isEqualTo("***");
        assertThat(config.containsKey("kafka_bootstrap")).isTrue();
        assertThat(config.getValue("api_key")).as("unset is null, as in a config file").isNull();
        assertThat(admin.bodyAsString()).doesNotContain("s3cret");
    }

    @Test
    void operators_list_swap_and_roll_back_drafter_versions_with_the_admin_token() throws Exception {
        var versions = server.stack.versions();
        var bundled = versions.current();
        var candidate = versions.create(dev.specserve.drafters.update.AdapterTrainer.initial(
                server.stack.manifest().drafter().adapterRank(), server.stack.manifest().drafter().dim(), 1),
                bundled.id(), Map.of("source", "test"));
        server.server.setAdmin(new dev.specserve.controller.adapt.DrafterAdmin(server.stack, null));
        try {
            HttpResponse<Buffer> anonymous = client.get("/admin/drafter/versions").send().await(10, SECONDS);
            HttpResponse<Buffer> list = client.get("/admin/drafter/versions")
                    .putHeader("Authorization", "Bearer s3cret").send().await(10, SECONDS);
            HttpResponse<Buffer> swap = client.post("/admin/drafter/swap").putHeader("Authorization", "Bearer s3cret")
                    .sendJsonObject(new JsonObject().put("version", candidate.id())).await(10, SECONDS);
            long afterSwap = versions.current().id();
            HttpResponse<Buffer> rollback = client.post("/admin/drafter/rollback")
                    .putHeader("Authorization", "Bearer s3cret").send().await(10, SECONDS);
            HttpResponse<Buffer> unknown = client.post("/admin/drafter/swap").putHeader("Authorization", "Bearer s3cret")
                    .sendJsonObject(new JsonObject().put("version", 9999)).await(10, SECONDS);

            assertThat(anonymous.statusCode()).isEqualTo(401);
            assertThat(list.statusCode()).isEqualTo(200);
            assertThat(list.bodyAsJsonObject().getJsonArray("versions").size()).isGreaterThanOrEqualTo(2);
            assertThat(swap.statusCode()).isEqualTo(200);
            assertThat(afterSwap).isEqualTo(candidate.id());
            assertThat(rollback.statusCode()).isEqualTo(200);
            assertThat(versions.current().id()).isEqualTo(bundled.id());
            assertThat(unknown.statusCode()).isEqualTo(400);
            assertThat(unknown.bodyAsJsonObject().getJsonObject("error").getString("message")).contains("9999");
        } finally {
            versions.activate(bundled);
        }
    }
}
