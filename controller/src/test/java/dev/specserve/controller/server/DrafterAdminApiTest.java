package dev.specserve.controller.server;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.specserve.controller.adapt.DrafterAdmin;
import dev.specserve.drafters.DrafterVersion;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Operators load a new drafter file, swap and roll back over HTTP and the event bus, behind the admin token. Loads
 * are confined to model_roots and need the file's sha256; every refusal looks the same.
 */
class DrafterAdminApiTest {
    static final String TOKEN = "s3cret";
    static final DeliveryOptions PATIENT = new DeliveryOptions().setSendTimeout(60_000);
    static final List<String> PROMPTS = List.of("def parse(self, text):\n    ", "import os\n\n\ndef main():\n",
            "public int size() {\n        return ", "class Node:\n    def __init__(self", "for (int i = 0; i < n;",
            "    @Override\n    public String toString() {\n");

    static TestServer server;
    static Vertx clientVertx;
    static WebClient client;
    static DrafterVersion bundled;

    @TempDir
    static Path dir;
    @TempDir
    static Path outside;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("admin_token", TOKEN, "model_roots", dir.toString()));
        server.server.setAdmin(new DrafterAdmin(server.stack, null));
        bundled = server.stack.versions().current();
        clientVertx = Vertx.vertx();
        client = WebClient.create(clientVertx, new WebClientOptions().setDefaultHost("127.0.0.1")
                .setDefaultPort(server.httpPort()));
    }

    @AfterEach
    void backToTheBundledVersion() {
        server.awaitIdle();
        server.stack.versions().activate(bundled);
    }

    @AfterAll
    static void stop() {
        client.close();
        clientVertx.close().await();
        server.close();
    }

    static Path copyOfTheDrafter(String name) throws Exception {
        Path p = dir.resolve(name);
        Files.copy(server.stack.manifest().drafter().file(), p);
        return p;
    }

    static JsonObject greedy(String prompt, String strategy) {
        return new JsonObject().put("prompt", prompt).put("max_tokens", 40).put("temperature", 0)
                .put("strategy", strategy);
    }

    static HttpResponse<Buffer> admin(String path, JsonObject body) throws Exception {
        return client.post(path).putHeader("Authorization", "Bearer " + TOKEN).sendJsonObject(body).await(60, SECONDS);
    }

    @Test
    void a_drafter_file_loaded_while_requests_run_is_swapped_in_with_no_failed_request_and_unchanged_output()
            throws Exception {
        List<String> reference = new ArrayList<>();
        for (String p : PROMPTS) {
            reference.add(client.post("/v1/completions").sendJsonObject(greedy(p, "none")).await(60, SECONDS)
                    .bodyAsJsonObject().getJsonArray("choices").getJsonObject(0).getString("text"));
        }
        Path file = copyOfTheDrafter("drafter-v2.onnx");

        List<Future<HttpResponse<Buffer>>> inFlight = new ArrayList<>();
        for (String p : PROMPTS) {
            inFlight.add(client.post("/v1/completions").sendJsonObject(greedy(p, "specblock")));
        }
        HttpResponse<Buffer> load = admin("/admin/drafter/load", new JsonObject().put("path", file.toString())
                .put("sha256", sha256(file)));
        List<String> served = new ArrayList<>();
        for (Future<HttpResponse<Buffer>> f : inFlight) {
            HttpResponse<Buffer> r = f.await(60, SECONDS);
            assertThat(r.statusCode()).isEqualTo(200);
            served.add(r.bodyAsJsonObject().getJsonArray("choices").getJsonObject(0).getString("text"));
        }

        assertThat(load.statusCode()).as(load.bodyAsString()).isEqualTo(200);
        JsonObject loaded = load.bodyAsJsonObject();
        assertThat(loaded.getLong("parent_id")).isEqualTo(bundled.id());
        assertThat(loaded.getLong("model_generation")).isGreaterThan(bundled.model().generation());
        assertThat(server.stack.versions().current().id()).isEqualTo(loaded.getLong("id"));
        assertThat(served).as("greedy output across the swap").isEqualTo(reference);
        server.awaitIdle();
        TestServer.awaitCondition(() -> !bundled.model().isOpen(), Duration.ofSeconds(10), "old drafter session closed");

        JsonObject after = client.post("/v1/completions").sendJsonObject(greedy(PROMPTS.get(0), "specblock"))
                .await(60, SECONDS).bodyAsJsonObject();
        assertThat(after.getJsonObject("specserve").getLong("drafter_version")).isEqualTo(loaded.getLong("id"));
    }

    @Test
    void a_file_loaded_without_activating_it_holds_no_session_until_a_swap_makes_it_current() throws Exception {
        var before = server.stack.versions().current();
        Path file = copyOfTheDrafter("drafter-parked.onnx");

        HttpResponse<Buffer> load = admin("/admin/drafter/load", new JsonObject().put("path", file.toString())
                .put("sha256", sha256(file)).put("activate", false));

        assertThat(load.statusCode()).as(load.bodyAsString()).isEqualTo(200);
        long id = load.bodyAsJsonObject().getLong("id");
        var parked = server.stack.versions().find(id).orElseThrow();
        assertThat(server.stack.versions().current()).isSameAs(before);
        assertThat(parked.model().isOpen()).as("validated, warmed up, then closed").isFalse();

        HttpResponse<Buffer> swap = admin("/admin/drafter/swap", new JsonObject().put("version", id));
        assertThat(swap.statusCode()).as(swap.bodyAsString()).isEqualTo(200);
        assertThat(parked.model().isOpen()).as("reopened when made current").isTrue();
        JsonObject served = client.post("/v1/completions").sendJsonObject(greedy(PROMPTS.get(0), "specblock"))
                .await(60, SECONDS).bodyAsJsonObject();
        assertThat(served.getJsonObject("specserve").getLong("drafter_version")).isEqualTo(id);
        admin("/admin/drafter/swap", new JsonObject().put("version", before.id()));
    }

    @Test
    void every_load_outside_the_roots_or_without_the_right_sha256_gets_one_and_the_same_answer() throws Exception {
        Path drafter = server.stack.manifest().drafter().file(); // a real drafter, outside the roots
        String drafterSha = sha256(drafter);
        Path inRoot = copyOfTheDrafter("in-root.onnx");
        Path escape = Files.createSymbolicLink(dir.resolve("escape.onnx"), drafter);
        Path secret = Files.writeString(outside.resolve("secret.txt"), "not for callers");
        String depth = "../".repeat(dir.getNameCount() + 2);
        Map<String, JsonObject> attempts = new java.util.LinkedHashMap<>();
        attempts.put("traversal to /etc/passwd", load(depth + "etc/passwd", sha256(Path.of("/etc/passwd"))));
        attempts.put("traversal out of the root", load("../" + outside.getFileName() + "/secret.txt", sha256(secret)));
        attempts.put("symlink out of the root, right hash", load(escape.toString(), drafterSha));
        attempts.put("absolute path outside, right hash", load(drafter.toString(), drafterSha));
        attempts.put("wrong sha256", load(inRoot.toString(), "00".repeat(32)));
        attempts.put("short sha256", load(inRoot.toString(), "00"));
        attempts.put("missing file", load(dir.resolve("nonexistent.onnx").toString(), drafterSha));
        attempts.put("a directory", load(dir.toString(), drafterSha));
        attempts.put("missing sha256", new JsonObject().put("path", inRoot.toString()));
        attempts.put("missing path", new JsonObject().put("sha256", drafterSha));

        double rejectedBefore = server.metric("specserve_admin_requests_rejected_total{status=\"400\"}");
        Map<String, String> answers = new java.util.LinkedHashMap<>();
        for (var a : attempts.entrySet()) {
            HttpResponse<Buffer> r = admin("/admin/drafter/load", a.getValue());
            answers.put(a.getKey(), r.statusCode() + " " + r.bodyAsString());
        }

        String expected = "400 " + new JsonObject().put("error", new JsonObject().put("message", "not an allowed model file")
                .put("type", "invalid_request_error").putNull("param").put("code", 400)).encode();
        assertThat(answers).allSatisfy((what, answer) -> assertThat(answer).as(what).isEqualTo(expected));
        assertThat(String.join(" ", answers.values())).doesNotContain(drafterSha, sha256(inRoot), sha256(secret));
        JsonObject overTheBus = new JsonObject().put("action", "load").put("token", TOKEN).put("path", drafter.toString())
                .put("sha256", drafterSha);
        assertThatThrownBy(() -> request(overTheBus)).isInstanceOfSatisfying(ReplyException.class, e -> {
            assertThat(e.failureCode()).isEqualTo(400);
            assertThat(new JsonObject(e.getMessage()).getString("message")).isEqualTo("not an allowed model file");
        });
        assertThat(server.stack.versions().current()).isSameAs(bundled);
        assertThat(server.metric("specserve_admin_requests_rejected_total{status=\"400\"}") - rejectedBefore)
                .as("every refusal counted, over HTTP and the bus").isEqualTo(attempts.size() + 1);
        double unauthorisedBefore = server.metric("specserve_admin_requests_rejected_total{status=\"401\"}");
        assertThat(client.post("/admin/drafter/rollback").putHeader("Authorization", "Bearer wrong")
                .sendJsonObject(new JsonObject()).await(60, SECONDS).statusCode()).isEqualTo(401);
        assertThat(server.metric("specserve_admin_requests_rejected_total{status=\"401\"}") - unauthorisedBefore)
                .isEqualTo(1);
    }

    @Test
    void a_named_file_with_its_right_sha256_that_is_no_fitting_drafter_is_refused_naming_the_problem() throws Exception {
        Path corrupt = dir.resolve("corrupt.onnx");
        Files.writeString(corrupt, "not an onnx model");
        Path target = dir.resolve("target.onnx");
        Files.copy(server.stack.manifest().target().file(), target);

        HttpResponse<Buffer> broken = admin("/admin/drafter/load", load(corrupt.toString(), sha256(corrupt)));
        HttpResponse<Buffer> wrongModel = admin("/admin/drafter/load", load("target.onnx", sha256(target)));

        assertThat(List.of(broken, wrongModel)).allSatisfy(r -> assertThat(r.statusCode()).isEqualTo(400));
        assertThat(message(broken)).contains("cannot be opened as an ONNX model");
        assertThat(message(wrongModel)).as("a relative path resolves in the first root")
                .contains("does not fit the serving drafter");
        assertThat(server.stack.versions().current()).isSameAs(bundled);
        assertThat(client.post("/v1/completions").sendJsonObject(greedy("x = ", "specblock")).await(60, SECONDS)
                .statusCode()).isEqualTo(200);
    }

    @Test
    void a_rollback_with_fields_is_refused_rather_than_ignoring_them() throws Exception {
        HttpResponse<Buffer> r = admin("/admin/drafter/rollback", new JsonObject().put("version", 2));

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("param")).isEqualTo("version");
        assertThat(r.bodyAsString()).contains("swap");
        assertThat(server.stack.versions().current()).isSameAs(bundled);
    }

    @Test
    void an_admin_body_is_read_gzipped_and_one_that_is_no_json_object_is_refused_saying_so() throws Exception {
        var gzipped = new java.io.ByteArrayOutputStream();
        try (var z = new java.util.zip.GZIPOutputStream(gzipped)) {
            z.write("{\"version\": 2}".getBytes());
        }
        HttpResponse<Buffer> compressed = client.post("/admin/drafter/rollback").putHeader("Authorization", "Bearer " + TOKEN)
                .putHeader("Content-Type", "application/json").putHeader("Content-Encoding", "gzip")
                .sendBuffer(Buffer.buffer(gzipped.toByteArray())).await(60, SECONDS);
        HttpResponse<Buffer> array = client.post("/admin/drafter/rollback").putHeader("Authorization", "Bearer " + TOKEN)
                .putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer("[1]")).await(60, SECONDS);

        assertThat(compressed.statusCode()).isEqualTo(400);
        assertThat(compressed.bodyAsJsonObject().getJsonObject("error").getString("param")).as("the body was read")
                .isEqualTo("version");
        assertThat(array.statusCode()).isEqualTo(400);
        assertThat(message(array)).isEqualTo("request body must be a JSON object");
        assertThat(server.stack.versions().current()).isSameAs(bundled);
    }

    @Test
    void a_load_whose_activate_is_not_a_boolean_is_refused_naming_activate() throws Exception {
        Path file = copyOfTheDrafter("drafter-activate.onnx");

        HttpResponse<Buffer> r = admin("/admin/drafter/load", load(file.toString(), sha256(file)).put("activate", "yes"));

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("param")).isEqualTo("activate");
        assertThat(message(r)).isEqualTo("activate must be true or false, got yes");
        assertThat(server.stack.versions().current()).isSameAs(bundled);
    }

    @Test
    void the_event_bus_admin_lists_loads_and_rolls_back_with_the_token_and_refuses_without_it() throws Exception {
        var bus = server.server.vertx().eventBus();
        Path file = copyOfTheDrafter("drafter-bus.onnx");

        JsonObject versions = request(new JsonObject().put("action", "versions").put("token", TOKEN));
        JsonObject loaded = request(new JsonObject().put("action", "load").put("token", TOKEN)
                .put("path", file.toString()).put("sha256", sha256(file).toUpperCase(java.util.Locale.ROOT)));
        long afterLoad = server.stack.versions().current().id();
        JsonObject rolledBack = request(new JsonObject().put("action", "rollback").put("token", TOKEN));

        assertThat(versions.getJsonArray("versions").size()).isGreaterThanOrEqualTo(1);
        assertThat(afterLoad).isEqualTo(loaded.getLong("id"));
        assertThat(rolledBack.getLong("id")).isEqualTo(bundled.id());
        assertThat(server.stack.versions().current().id()).isEqualTo(bundled.id());
        assertThat(bundled.model().isOpen()).as("rolling back reopened the bundled session").isTrue();

        assertThatThrownBy(() -> request(new JsonObject().put("action", "versions").put("token", "wrong")))
                .isInstanceOfSatisfying(ReplyException.class, e -> assertThat(e.failureCode()).isEqualTo(401));
        assertThatThrownBy(() -> request(new JsonObject().put("action", "versions")))
                .isInstanceOfSatisfying(ReplyException.class, e -> assertThat(e.failureCode()).isEqualTo(401));
        assertThatThrownBy(() -> request(new JsonObject().put("action", "explode").put("token", TOKEN)))
                .isInstanceOfSatisfying(ReplyException.class, e -> {
                    assertThat(e.failureCode()).isEqualTo(400);
                    assertThat(new JsonObject(e.getMessage()).getString("message")).contains("explode", "versions");
                    assertThat(new JsonObject(e.getMessage()).getString("param")).isEqualTo("action");
                });
        assertThatThrownBy(() -> request(new JsonObject().put("action", "swap").put("token", TOKEN).put("version", "1")))
                .isInstanceOfSatisfying(ReplyException.class, e -> {
                    assertThat(e.failureCode()).isEqualTo(400);
                    assertThat(new JsonObject(e.getMessage()).getString("param")).isEqualTo("version");
                    assertThat(new JsonObject(e.getMessage()).getString("message")).contains("the string \"1\"");
                });
        assertThatThrownBy(() -> bus.request(EventBusAdminVerticle.ADDRESS, "versions", PATIENT).await(10, SECONDS))
                .isInstanceOfSatisfying(ReplyException.class, e -> assertThat(e.failureCode()).isEqualTo(400));
    }

    static JsonObject request(JsonObject message) throws Exception {
        return (JsonObject) server.server.vertx().eventBus().request(EventBusAdminVerticle.ADDRESS, message, PATIENT)
                .await(60, SECONDS).body();
    }

    static JsonObject load(String path, String sha256) {
        return new JsonObject().put("path", path).put("sha256", sha256);
    }

    static String sha256(Path file) {
        return dev.specserve.runtime.manifest.ManifestLoader.sha256(file);
    }

    static String message(HttpResponse<Buffer> r) {
        return r.bodyAsJsonObject().getJsonObject("error").getString("message");
    }
}
