package dev.specserve.controller.server;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Bearer scheme case, the JSON Content-Type requirement and CORS, over real HTTP. */
class HttpSecurityTest {
    static final String TOKEN = "t0ken";
    static final String APP = "https://app.example";
    /** admin token and one CORS origin */
    static TestServer configured;
    /** no CORS setting */
    static TestServer plain;
    static Vertx clientVertx;
    static WebClient client;

    @BeforeAll
    static void start() throws Exception {
        configured = TestServer.start(Map.of("admin_token", TOKEN, "cors_origins", APP + ", https://other.example",
                "bridge_port", "0"));
        plain = TestServer.start(Map.of("bridge_port", "0"));
        clientVertx = Vertx.vertx();
        client = WebClient.create(clientVertx);
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        clientVertx.close().await();
        configured.close();
        plain.close();
    }

    static HttpResponse<Buffer> post(TestServer s, String path, String contentType, String body) throws Exception {
        var req = client.post(s.httpPort(), "127.0.0.1", path);
        if (contentType != null) {
            req.putHeader("Content-Type", contentType);
        }
        return req.sendBuffer(Buffer.buffer(body)).await(60, SECONDS);
    }

    static final String COMPLETION = new JsonObject().put("prompt", "x = ").put("max_tokens", 2).put("temperature", 0).encode();

    @Test
    void the_bearer_scheme_is_case_insensitive_and_other_schemes_are_refused() throws Exception {
        int lower = get(configured, "/admin/config", "bearer " + TOKEN).statusCode();
        int upper = get(configured, "/admin/config", "BEARER " + TOKEN).statusCode();
        int extraSpace = get(configured, "/admin/config", "Bearer  " + TOKEN).statusCode();
        int basic = get(configured, "/admin/config", "Basic " + TOKEN).statusCode();
        int noScheme = get(configured, "/admin/config", TOKEN).statusCode();
        int wrong = get(configured, "/admin/config", "bearer nope").statusCode();

        assertThat(new int[] {lower, upper, extraSpace}).containsOnly(200);
        assertThat(new int[] {basic, noScheme, wrong}).containsOnly(401);
        assertThat(get(configured, "/admin/config", "bearer nope").getHeader("WWW-Authenticate")).isEqualTo("Bearer");
    }

    @Test
    void completions_need_a_json_content_type_and_otherwise_get_415_in_the_error_shape() throws Exception {
        double counted = plain.metric("specserve_requests_rejected_total{reason=\"unsupported_media_type\"}");
        HttpResponse<Buffer> none = post(plain, "/v1/completions", null, COMPLETION);
        HttpResponse<Buffer> text = post(plain, "/v1/completions", "text/plain", COMPLETION);
        HttpResponse<Buffer> form = post(plain, "/v1/completions", "application/x-www-form-urlencoded", COMPLETION);
        HttpResponse<Buffer> withCharset = post(plain, "/v1/completions", "application/json; charset=utf-8", COMPLETION);
        HttpResponse<Buffer> upperCase = post(plain, "/v1/completions", "Application/JSON", COMPLETION);

        for (HttpResponse<Buffer> r : java.util.List.of(none, text, form)) {
            assertThat(r.statusCode()).isEqualTo(415);
            JsonObject error = r.bodyAsJsonObject().getJsonObject("error");
            assertThat(error.getString("type")).isEqualTo("invalid_request_error");
            assertThat(error.getInteger("code")).isEqualTo(415);
            assertThat(error.getString("message")).contains("Content-Type: application/json");
        }
        assertThat(text.bodyAsJsonObject().getJsonObject("error").getString("message")).contains("'text/plain'");
        assertThat(plain.metric("specserve_requests_rejected_total{reason=\"unsupported_media_type\"}"))
                .as("every refusal counted").isEqualTo(counted + 3);
        assertThat(withCharset.statusCode()).as(withCharset.bodyAsString()).isEqualTo(200);
        assertThat(upperCase.statusCode()).isEqualTo(200);
    }

    @Test
    void admin_posts_with_a_body_need_a_json_content_type_too() throws Exception {
        var req = client.post(configured.httpPort(), "127.0.0.1", "/admin/drafter/swap")
                .putHeader("Authorization", "Bearer " + TOKEN).putHeader("Content-Type", "text/plain");
        HttpResponse<Buffer> r = req.sendBuffer(Buffer.buffer("{\"version\": 1}")).await(60, SECONDS);

        assertThat(r.statusCode()).isEqualTo(415);
        assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("message")).contains("application/json");
    }

    @Test
    void every_admin_post_checks_its_body_as_swap_does() throws Exception {
        for (String path : new String[] {"/admin/drafter/swap", "/admin/adaptation/pause", "/admin/adaptation/resume"}) {
            var text = client.post(configured.httpPort(), "127.0.0.1", path).putHeader("Authorization", "Bearer " + TOKEN)
                    .putHeader("Content-Type", "text/plain").sendBuffer(Buffer.buffer("zzz")).await(60, SECONDS);
            var large = client.post(configured.httpPort(), "127.0.0.1", path).putHeader("Authorization", "Bearer " + TOKEN)
                    .putHeader("Content-Type", "application/json")
                    .sendBuffer(Buffer.buffer("{\"x\": \"" + "a".repeat(5000) + "\"}")).await(60, SECONDS);
            assertThat(text.statusCode()).as(path).isEqualTo(415);
            assertThat(large.statusCode()).as(path).isEqualTo(413);
        }
    }

    @Test
    void without_an_admin_token_no_admin_path_exists_whatever_the_method() throws Exception {
        for (io.vertx.core.http.HttpMethod m : new io.vertx.core.http.HttpMethod[] {io.vertx.core.http.HttpMethod.GET,
                io.vertx.core.http.HttpMethod.POST, io.vertx.core.http.HttpMethod.PUT, io.vertx.core.http.HttpMethod.DELETE}) {
            for (String path : new String[] {"/admin/config", "/admin/drafter/versions", "/admin/drafter/load",
                    "/admin/adaptation/pause"}) {
                var r = client.request(m, plain.httpPort(), "127.0.0.1", path).send().await(60, SECONDS);
                assertThat(r.statusCode()).as(m + " " + path).isEqualTo(404);
            }
        }
    }

    /** An admin path answers the methods it has: 404 for an unknown path whatever the method, 405 naming the rest. */
    @Test
    void admin_paths_answer_404_when_unknown_and_405_with_the_methods_they_take() throws Exception {
        String auth = "Bearer " + TOKEN;
        HttpResponse<Buffer> unknownGet = client.get(configured.httpPort(), "127.0.0.1", "/admin/nonexistent")
                .putHeader("Authorization", auth).send().await(60, SECONDS);
        HttpResponse<Buffer> unknownPost = client.post(configured.httpPort(), "127.0.0.1", "/admin/nonexistent")
                .putHeader("Authorization", auth).send().await(60, SECONDS);
        HttpResponse<Buffer> deleteConfig = client.delete(configured.httpPort(), "127.0.0.1", "/admin/config")
                .putHeader("Authorization", auth).send().await(60, SECONDS);
        HttpResponse<Buffer> getSwap = client.get(configured.httpPort(), "127.0.0.1", "/admin/drafter/swap")
                .putHeader("Authorization", auth).send().await(60, SECONDS);

        assertThat(unknownGet.statusCode()).isEqualTo(404);
        assertThat(unknownPost.statusCode()).isEqualTo(404);
        assertThat(deleteConfig.statusCode()).isEqualTo(405);
        assertThat(deleteConfig.getHeader("Allow")).isEqualTo("GET, HEAD");
        assertThat(getSwap.statusCode()).isEqualTo(405);
        assertThat(getSwap.getHeader("Allow")).isEqualTo("POST");
    }

    @Test
    void without_cors_origins_no_response_carries_cors_headers() throws Exception {
        HttpResponse<Buffer> simple = client.get(plain.httpPort(), "127.0.0.1", "/v1/models")
                .putHeader("Origin", APP).send().await(60, SECONDS);
        HttpResponse<Buffer> preflight = client.request(HttpMethod.OPTIONS, plain.httpPort(), "127.0.0.1", "/v1/completions")
                .putHeader("Origin", APP).putHeader("Access-Control-Request-Method", "POST")
                .putHeader("Access-Control-Request-Headers", "content-type").send().await(60, SECONDS);

        assertThat(simple.statusCode()).isEqualTo(200);
        for (HttpResponse<Buffer> r : java.util.List.of(simple, preflight)) {
            assertThat(r.headers().names()).noneMatch(n -> n.toLowerCase().startsWith("access-control-"));
        }
    }

    @Test
    void with_cors_origins_only_those_origins_get_cors_headers() throws Exception {
        HttpResponse<Buffer> allowed = client.get(configured.httpPort(), "127.0.0.1", "/v1/models")
                .putHeader("Origin", APP).send().await(60, SECONDS);
        HttpResponse<Buffer> preflight = client.request(HttpMethod.OPTIONS, configured.httpPort(), "127.0.0.1",
                        "/v1/completions").putHeader("Origin", APP).putHeader("Access-Control-Request-Method", "POST")
                .putHeader("Access-Control-Request-Headers", "content-type").send().await(60, SECONDS);
        HttpResponse<Buffer> other = client.get(configured.httpPort(), "127.0.0.1", "/v1/models")
                .putHeader("Origin", "https://evil.example").send().await(60, SECONDS);
        HttpResponse<Buffer> noOrigin = client.get(configured.httpPort(), "127.0.0.1", "/v1/models").send()
                .await(60, SECONDS);

        assertThat(allowed.statusCode()).isEqualTo(200);
        assertThat(allowed.getHeader("Access-Control-Allow-Origin")).isEqualTo(APP);
        assertThat(allowed.getHeader("Vary")).as("the echoed origin keys a shared cache").contains("Origin");
        assertThat(preflight.getHeader("Access-Control-Allow-Origin")).isEqualTo(APP);
        assertThat(preflight.getHeader("Access-Control-Allow-Methods")).contains("POST");
        assertThat(other.getHeader("Access-Control-Allow-Origin")).isNull();
        assertThat(other.statusCode()).as("CorsHandler refuses other origins").isEqualTo(403);
        assertThat(other.bodyAsJsonObject().getJsonObject("error").getInteger("code")).isEqualTo(403);
        assertThat(noOrigin.statusCode()).isEqualTo(200);
        assertThat(noOrigin.getHeader("Access-Control-Allow-Origin")).isNull();
    }

    @Test
    void probes_take_head_and_a_model_is_retrieved_by_its_id() throws Exception {
        HttpResponse<Buffer> head = client.request(HttpMethod.HEAD, plain.httpPort(), "127.0.0.1", "/health").send()
                .await(60, SECONDS);
        HttpResponse<Buffer> readyHead = client.request(HttpMethod.HEAD, plain.httpPort(), "127.0.0.1", "/ready").send()
                .await(60, SECONDS);
        String id = client.get(plain.httpPort(), "127.0.0.1", "/v1/models").send().await(60, SECONDS).bodyAsJsonObject()
                .getJsonArray("data").getJsonObject(0).getString("id");
        HttpResponse<Buffer> model = client.get(plain.httpPort(), "127.0.0.1", "/v1/models/" + id).send().await(60, SECONDS);
        HttpResponse<Buffer> other = client.get(plain.httpPort(), "127.0.0.1", "/v1/models/gpt-4").send().await(60, SECONDS);

        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(readyHead.statusCode()).isEqualTo(200);
        for (String path : List.of("/version", "/tokenizer_info")) { // HEAD wherever GET answers (they were 405)
            assertThat(client.request(HttpMethod.HEAD, plain.httpPort(), "127.0.0.1", path).send().await(60, SECONDS)
                    .statusCode()).as(path).isEqualTo(200);
        }
        assertThat(client.request(HttpMethod.HEAD, configured.httpPort(), "127.0.0.1", "/admin/config")
                .putHeader("Authorization", "Bearer " + TOKEN).send().await(60, SECONDS).statusCode()).isEqualTo(200);
        assertThat(model.statusCode()).isEqualTo(200);
        assertThat(model.bodyAsJsonObject().getString("id")).isEqualTo(id);
        assertThat(model.bodyAsJsonObject().getString("object")).isEqualTo("model");
        assertThat(other.statusCode()).isEqualTo(404);
        assertThat(other.bodyAsJsonObject().getJsonObject("error").getString("message")).contains("'gpt-4'").contains(id);
    }

    static HttpResponse<Buffer> get(TestServer s, String path, String authorization) throws Exception {
        return client.get(s.httpPort(), "127.0.0.1", path).putHeader("Authorization", authorization).send()
                .await(60, SECONDS);
    }
}
