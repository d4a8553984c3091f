package dev.specserve.controller.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Who may use the HTTP API: {@code api_key} guards {@code /v1/*} (and the TCP bridge's generations) and nothing
 * else, and only the Host names in
 * {@code allowed_hosts} (by default, on a loopback bind, the loopback names) are answered. Over raw HTTP/1.1, so
 * each request carries exactly the Host and Authorization headers written here.
 */
class HttpAccessTest {
    static final String COMPLETION = new JsonObject().put("prompt", "x = ").put("max_tokens", 2).put("temperature", 0).encode();
    /** Two keys (a rotation), the default Host rule of its loopback bind. */
    static TestServer keyed;
    /** No key, Host names configured. */
    static TestServer named;
    /** Connections silent for a second are closed. */
    static TestServer impatient;

    @BeforeAll
    static void start() {
        keyed = TestServer.start(Map.of("api_key", "k-old, k-new"));
        named = TestServer.start(Map.of("allowed_hosts", "API.example:443, [::1]", "bridge_port", "0"));
        impatient = TestServer.start(Map.of("http_idle_timeout_s", "1", "bridge_port", "0"));
    }

    @AfterAll
    static void stop() {
        keyed.close();
        named.close();
        impatient.close();
    }

    record Reply(int status, Map<String, String> headers, String body) {
        JsonObject error() {
            return new JsonObject(body).getJsonObject("error");
        }
    }

    /** One request on its own connection; {@code authorization} null sends none. */
    static Reply send(TestServer s, String method, String path, String host, String authorization, String json)
            throws Exception {
        try (Socket socket = new Socket("127.0.0.1", s.httpPort())) {
            byte[] body = json == null ? new byte[0] : json.getBytes(StandardCharsets.UTF_8);
            StringBuilder req = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\n");
            if (authorization != null) {
                req.append("Authorization: ").append(authorization).append("\r\n");
            }
            if (json != null) {
                req.append("Content-Type: application/json\r\nContent-Length: ").append(body.length).append("\r\n");
            }
            req.append("Connection: close\r\n\r\n");
            OutputStream out = socket.getOutputStream();
            out.write(req.toString().getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            socket.setSoTimeout(60_000);
            return parse(socket.getInputStream());
        }
    }

    private static Reply parse(InputStream in) throws Exception {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        in.transferTo(all);
        String text = all.toString(StandardCharsets.UTF_8);
        int split = text.indexOf("\r\n\r\n");
        String[] head = text.substring(0, split).split("\r\n");
        Map<String, String> headers = new java.util.HashMap<>();
        for (int i = 1; i < head.length; i++) {
            int colon = head[i].indexOf(':');
            headers.put(head[i].substring(0, colon).trim().toLowerCase(), head[i].substring(colon + 1).trim());
        }
        return new Reply(Integer.parseInt(head[0].split(" ")[1]), headers, text.substring(split + 4));
    }

    @Test
    void with_api_keys_set_v1_answers_401_without_a_valid_key_and_each_key_opens_it() throws Exception {
        String host = "127.0.0.1:" + keyed.httpPort();
        double before = keyed.metric("specserve_http_refused_total{reason=\"api_key\"}");

        Reply none = send(keyed, "POST", "/v1/completions", host, null, COMPLETION);
        Reply wrong = send(keyed, "POST", "/v1/completions", host, "Bearer k-older", COMPLETION);
        Reply prefix = send(keyed, "GET", "/v1/models", host, "Bearer k-ol", null);
        Reply basic = send(keyed, "GET", "/v1/models", host, "Basic k-old", null);
        Reply oldKey = send(keyed, "POST", "/v1/completions", host, "Bearer k-old", COMPLETION);
        Reply newKey = send(keyed, "GET", "/v1/models", host, "bearer k-new", null);

        for (Reply r : List.of(none, wrong, prefix, basic)) {
            assertThat(r.status()).as(r.body()).isEqualTo(401);
            assertThat(r.headers()).containsEntry("www-authenticate", "Bearer");
            assertThat(r.error().getString("code")).isEqualTo("invalid_api_key");
            assertThat(r.error().getString("type")).isEqualTo("invalid_request_error");
        }
        assertThat(none.error().getString("message")).contains("Authorization: Bearer");
        assertThat(wrong.error().getString("message")).isEqualTo("incorrect API key provided").doesNotContain("k-old");
        assertThat(oldKey.status()).as(oldKey.body()).isEqualTo(200);
        assertThat(new JsonObject(oldKey.body()).getJsonArray("choices")).hasSize(1);
        assertThat(newKey.status()).isEqualTo(200);
        assertThat(keyed.metric("specserve_http_refused_total{reason=\"api_key\"}") - before).isEqualTo(4);
    }

    @Test
    void the_load_generator_sends_its_api_key() {
        String url = "http://127.0.0.1:" + keyed.httpPort();
        var http = dev.specserve.controller.load.CompletionStreamClient.newHttpClient();
        var withKey = new dev.specserve.controller.load.CompletionStreamClient(http, url, 3, 0, null,
                java.time.Duration.ofSeconds(60), "k-new").complete("def f(");
        var without = new dev.specserve.controller.load.CompletionStreamClient(http, url, 3, 0, null,
                java.time.Duration.ofSeconds(60)).complete("def f(");

        assertThat(withKey.ok()).as(withKey.failure() + " " + withKey.message()).isTrue();
        assertThat(withKey.completionTokens()).isEqualTo(3);
        assertThat(without.ok()).isFalse();
        assertThat(without.failure() + " " + without.message()).contains("401");
    }

    @Test
    void over_the_tcp_bridge_a_generation_needs_an_api_key_too() throws Exception {
        double before = keyed.metric("specserve_bridge_generations_unauthorised_total");
        try (var client = new TcpBridgeTest.BridgeClient(keyed.bridgePort())) {
            JsonObject request = TcpBridgeTest.greedy("def f(", 3);
            client.write(new JsonObject().put("type", "send").put("address", "specserve.generate").put("replyAddress", "a")
                    .put("body", request));
            JsonObject refused = client.read();
            JsonObject refusedBlocked = client.read();
            client.write(new JsonObject().put("type", "send").put("address", "specserve.generate").put("replyAddress", "b")
                    .put("headers", new JsonObject().put("Authorization", "Bearer k-wrong")).put("body", request));
            JsonObject wrong = client.read();
            JsonObject wrongBlocked = client.read();
            client.write(new JsonObject().put("type", "send").put("address", "specserve.generate").put("replyAddress", "c")
                    .put("headers", new JsonObject().put("authorization", "Bearer k-old")).put("body", request));
            JsonObject served = client.read();

            // answered at their reply addresses, so a client with requests in flight knows which failed and why
            assertThat(refused.getString("type")).isEqualTo("err");
            assertThat(refused.getString("address")).isEqualTo("a");
            assertThat(refused.getInteger("failureCode")).isEqualTo(401);
            assertThat(new JsonObject(refused.getString("message")).getString("message")).contains("API key is required");
            assertThat(wrong.getString("address")).isEqualTo("b");
            assertThat(wrong.getInteger("failureCode")).isEqualTo(401);
            assertThat(new JsonObject(wrong.getString("message")).getString("message")).contains("incorrect API key");
            assertThat(List.of(refusedBlocked, wrongBlocked)).allSatisfy(b ->
                    assertThat(b.getString("message")).isEqualTo(TcpBridgeVerticle.BLOCKED));
            assertThat(served.getString("type")).as(served.encode()).isEqualTo("message");
            assertThat(served.getJsonObject("body").getJsonObject("usage").getInteger("completion_tokens")).isEqualTo(3);
        }
        assertThat(keyed.metric("specserve_bridge_generations_unauthorised_total") - before).isEqualTo(2);
    }

    @Test
    void the_api_key_guards_only_v1_so_probes_and_scrapes_need_none() throws Exception {
        String host = "localhost:" + keyed.httpPort();

        assertThat(send(keyed, "GET", "/health", host, null, null).status()).isEqualTo(200);
        assertThat(send(keyed, "GET", "/ready", host, null, null).status()).isEqualTo(200);
        assertThat(send(keyed, "GET", "/metrics", host, null, null).body()).contains("specserve_http_refused_total");
    }

    @Test
    void a_loopback_bind_answers_loopback_names_only_so_a_rebound_domain_gets_403() throws Exception {
        int port = keyed.httpPort();
        double before = keyed.metric("specserve_http_refused_total{reason=\"host\"}");

        Reply rebound = send(keyed, "POST", "/v1/completions", "attacker.example:" + port, "Bearer k-new", COMPLETION);
        Reply models = send(keyed, "GET", "/v1/models", "attacker.example", "Bearer k-new", null);
        Reply probe = send(keyed, "GET", "/health", "10.0.0.7:8000", null, null);

        assertThat(rebound.status()).isEqualTo(403);
        assertThat(rebound.error().getString("message")).contains("'attacker.example'").contains("allowed_hosts")
                .as("the served names stay unsaid").doesNotContain("localhost");
        assertThat(models.status()).as("every /v1 route").isEqualTo(403);
        assertThat(probe.status()).as("liveness probes come by address").isEqualTo(200);
        assertThat(send(keyed, "GET", "/metrics", "172.18.0.5:8000", null, null).status()).as("so do scrapes").isEqualTo(200);
        for (String name : List.of("127.0.0.1:" + port, "localhost:" + port, "LOCALHOST", "[::1]:" + port)) {
            assertThat(send(keyed, "GET", "/health", name, null, null).status()).as(name).isEqualTo(200);
        }
        assertThat(keyed.metric("specserve_http_refused_total{reason=\"host\"}") - before).isEqualTo(2);
    }

    @Test
    void allowed_hosts_replaces_the_default_and_matches_names_in_any_case_and_port_even_if_listed_with_one()
            throws Exception {
        assertThat(send(named, "GET", "/v1/models", "api.example:443", null, null).status()).isEqualTo(200);
        assertThat(send(named, "GET", "/v1/models", "Api.Example", null, null).status()).isEqualTo(200);
        assertThat(send(named, "GET", "/v1/models", "[::1]:8000", null, null).status()).isEqualTo(200);
        assertThat(send(named, "GET", "/v1/models", "127.0.0.1:" + named.httpPort(), null, null).status())
                .as("configured names replace the loopback default").isEqualTo(403);
        assertThat(send(named, "POST", "/v1/completions", "api.example", null, COMPLETION).status())
                .as("no api_key: /v1 is open").isEqualTo(200);
    }

    @Test
    void the_default_host_rule_follows_the_bind_address() {
        assertThat(HttpGuards.allowedHosts(List.of(), "127.0.0.1")).containsExactlyInAnyOrder("localhost", "127.0.0.1", "::1");
        assertThat(HttpGuards.allowedHosts(List.of(), "localhost")).contains("localhost");
        assertThat(HttpGuards.allowedHosts(List.of(), "::1")).contains("::1");
        assertThat(HttpGuards.allowedHosts(List.of(), "0.0.0.0")).containsExactly("*");
        assertThat(HttpGuards.allowedHosts(List.of(), "10.1.2.3")).containsExactly("*");
        assertThat(HttpGuards.allowedHosts(List.of(), "specserve")).as("a name is not resolved").containsExactly("*");
        assertThat(HttpGuards.allowedHosts(List.of("*"), "127.0.0.1")).containsExactly("*");
    }

    @Test
    void a_connection_that_stops_mid_request_is_closed_after_the_idle_timeout() throws Exception {
        try (Socket halfSent = new Socket("127.0.0.1", impatient.httpPort())) {
            halfSent.getOutputStream().write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII));
            halfSent.getOutputStream().flush();
            halfSent.setSoTimeout(10_000);
            long t0 = System.nanoTime();

            assertThat(halfSent.getInputStream().read()).as("closed without an answer").isEqualTo(-1);
            assertThat((System.nanoTime() - t0) / 1e9).as("seconds until closed").isBetween(0.5, 8.0);
        }
        assertThat(send(impatient, "GET", "/health", "127.0.0.1", null, null).status()).isEqualTo(200);
    }

    /**
     * Made-up HTTP methods, sent without a key to a host the server does not answer for, cost no metric series:
     * Vert.x labelled its HTTP meters with any method token, so each one added series for good (3,400 requests
     * took /metrics from 48 KB to 18 MB).
     */
    @Test
    void made_up_methods_do_not_add_metric_series() throws Exception {
        for (int i = 0; i < 20; i++) {
            send(keyed, "BOGUS" + i, "/v1/models", "evil.example", null, null);
        }
        String metrics = keyed.server.registry().scrape();

        assertThat(metrics).doesNotContain("BOGUS").contains("method=\"OTHER\"");
    }
}
