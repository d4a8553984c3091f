package dev.specserve.controller.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.specserve.controller.config.ConfigException;
import dev.specserve.controller.config.ConfigLoader;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code tls_cert_file} and {@code tls_key_file}: the HTTP API answers HTTPS and the event-bus bridge speaks TLS, to
 * real JDK clients that trust the test certificate (src/test/resources/tls, self-signed for localhost).
 */
class TlsTest {
    static Path cert;
    static Path key;
    static TestServer server;
    static SSLContext trusting;

    @BeforeAll
    static void start() throws Exception {
        cert = Path.of(TlsTest.class.getResource("/tls/test-cert.pem").toURI());
        key = Path.of(TlsTest.class.getResource("/tls/test-key.pem").toURI());
        server = TestServer.start(Map.of("tls_cert_file", cert.toString(), "tls_key_file", key.toString()));
        trusting = dev.specserve.controller.load.PemTrust.sslContext(cert);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static HttpResponse<String> post(HttpClient client, String scheme, String body) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(scheme + "://127.0.0.1:" + server.httpPort()
                        + "/v1/completions")).header("Content-Type", "application/json").timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static final String GREEDY = "{\"prompt\": \"def add(a, b):\", \"max_tokens\": 8, \"temperature\": 0}";

    @Test
    void the_http_api_answers_https_to_a_client_that_trusts_the_certificate() throws Exception {
        HttpResponse<String> r = post(HttpClient.newBuilder().sslContext(trusting).build(), "https", GREEDY);

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(new JsonObject(r.body()).getJsonObject("usage").getInteger("completion_tokens")).isBetween(1, 8);
    }

    @Test
    void a_client_that_does_not_trust_it_or_speaks_plain_http_gets_no_completion() {
        assertThatThrownBy(() -> post(HttpClient.newHttpClient(), "https", GREEDY))
                .isInstanceOf(SSLHandshakeException.class);
        assertThatThrownBy(() -> post(HttpClient.newHttpClient(), "http", GREEDY)).isInstanceOf(IOException.class);
    }

    @Test
    void the_load_generator_measures_an_https_server_whose_certificate_it_is_given() {
        int rc = dev.specserve.controller.cli.Main.run("load", "--url", "https://127.0.0.1:" + server.httpPort(),
                "--cacert", cert.toString(), "--requests", "2", "--concurrency", "1", "--warmup", "0",
                "--max-tokens", "4");

        assertThat(rc).as("exit 1 would mean a failed request").isZero();
    }

    @Test
    void the_bridge_speaks_tls() throws Exception {
        try (TcpBridgeTest.BridgeClient client = new TcpBridgeTest.BridgeClient(
                trusting.getSocketFactory().createSocket("127.0.0.1", server.bridgePort()))) {
            client.send("specserve.generate", "r1", new JsonObject(GREEDY));

            JsonObject frame = client.read();

            assertThat(frame.getString("type")).isEqualTo("message");
            assertThat(frame.getJsonObject("body").getString("finish_reason")).isIn("stop", "length");
        }
    }

    @Test
    void a_certificate_without_its_key_a_missing_file_or_a_file_of_the_wrong_kind_is_refused_at_start_naming_the_setting() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("tls_cert_file", cert.toString())))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("tls_key_file"));
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("tls_cert_file", "/nonexistent/cert.pem",
                "tls_key_file", key.toString())))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.key()).isEqualTo("tls_cert_file");
                    assertThat(e.getMessage()).contains("/nonexistent/cert.pem");
                });
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("tls_cert_file", cert.toString(),
                "tls_key_file", cert.toString())))
                .as("the certificate given as its own key").isInstanceOfSatisfying(ConfigException.class,
                        e -> assertThat(e.key()).isEqualTo("tls_key_file"));
    }

    /** A key that is not the certificate's is refused at start, naming tls_key_file: the server listened, and every handshake failed. */
    @Test
    void a_key_that_is_not_the_certificates_is_refused_at_start_naming_tls_key_file(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        Path other = dir.resolve("other-key.pem");
        java.nio.file.Files.writeString(other, "-----BEGIN PRIVATE KEY-----\n" + java.util.Base64.getMimeEncoder(64,
                "\n".getBytes()).encodeToString(g.generateKeyPair().getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n");
        java.util.function.Function<Path, dev.specserve.controller.config.ServerConfig.Security> with = k ->
                new dev.specserve.controller.config.ServerConfig.Security(java.util.List.of(), java.util.List.of(), 1 << 20,
                        java.util.List.of(), java.util.List.of(), 300, 60, cert, k);

        assertThat(Tls.keyCert(server.server.vertx(), with.apply(key))).isNotNull();
        assertThatThrownBy(() -> Tls.keyCert(server.server.vertx(), with.apply(other)))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.key()).isEqualTo("tls_key_file");
                    assertThat(e.getMessage()).contains("is not the private key of the certificate");
                });
    }
}
