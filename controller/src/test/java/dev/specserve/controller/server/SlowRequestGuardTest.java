package dev.specserve.controller.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Slowloris: a client sending a request a byte at a time resets the idle timeout with every byte, so the server
 * gives each request's headers and body {@code http_request_read_timeout_s} (1 s here) to arrive, and never cuts a
 * request that is past its body, however long it streams.
 */
class SlowRequestGuardTest {
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("http_request_read_timeout_s", "1", "bridge_port", "0"));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** Sends {@code head} whole, then {@code trickle} a byte every 250 ms; the seconds until the server closed. */
    static double secondsUntilClosed(String head, String trickle) throws IOException, InterruptedException {
        try (Socket socket = new Socket("127.0.0.1", server.httpPort())) {
            socket.setSoTimeout(100);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            long t0 = System.nanoTime();
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; i < trickle.length() && System.nanoTime() - t0 < 10_000_000_000L; i++) {
                try {
                    out.write(trickle.charAt(i));
                    out.flush();
                    if (in.read() == -1) {
                        return (System.nanoTime() - t0) / 1e9;
                    }
                } catch (java.net.SocketTimeoutException e) {
                    Thread.sleep(150); // still open: the next byte
                } catch (SocketException e) {
                    return (System.nanoTime() - t0) / 1e9;
                }
            }
            return Double.POSITIVE_INFINITY;
        }
    }

    @Test
    void headers_or_a_body_sent_a_byte_at_a_time_lose_their_connection_and_are_counted() throws Exception {
        double before = server.metric("specserve_http_refused_total{reason=\"slow_request\"}");
        String headers = "Host: 127.0.0.1\r\nContent-Type: application/json\r\nX-Padding: " + "a".repeat(100) + "\r\n";

        double slowHeaders = secondsUntilClosed("POST /v1/completions HTTP/1.1\r\n", headers);
        double slowBody = secondsUntilClosed("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Type: application/json\r\nContent-Length: 200\r\n\r\n", "{\"prompt\": \"" + "x".repeat(150));

        assertThat(slowHeaders).isBetween(0.9, 4.0);
        assertThat(slowBody).isBetween(0.9, 4.0);
        assertThat(server.metric("specserve_http_refused_total{reason=\"slow_request\"}")).isGreaterThanOrEqualTo(before + 2);
    }

    @Test
    void a_kept_alive_connection_idle_past_the_deadline_is_closed_without_counting_a_slow_request() throws Exception {
        double before = server.metric("specserve_http_refused_total{reason=\"slow_request\"}");
        try (Socket socket = new Socket("127.0.0.1", server.httpPort())) {
            socket.setSoTimeout(6000);
            socket.getOutputStream().write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            byte[] answer = new byte[4096];
            int n = in.read(answer);
            assertThat(new String(answer, 0, n, StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 200");
            long t0 = System.nanoTime();

            int next = in.read(); // nothing more comes: the server closes the idle connection

            assertThat(next).isEqualTo(-1);
            assertThat((System.nanoTime() - t0) / 1e9).isBetween(0.9, 4.0);
        }
        assertThat(server.metric("specserve_http_refused_total{reason=\"slow_request\"}")).isEqualTo(before);
    }

    @Test
    void a_request_whose_body_has_arrived_may_stream_for_longer_than_the_deadline() throws Exception {
        var client = java.net.http.HttpClient.newHttpClient();
        String body = new JsonObject().put("prompt", "def main():").put("max_tokens", 300).put("temperature", 0)
                .put("strategy", "none").put("ignore_eos", true).put("stream", true).put("domain", TestServer.SLOW)
                .encode();
        long t0 = System.nanoTime();
        var r = client.send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + server.httpPort() + "/v1/completions"))
                        .header("Content-Type", "application/json")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());

        assertThat((System.nanoTime() - t0) / 1e9).as("it ran past the deadline").isGreaterThan(1.5);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"finish_reason\":\"length\"").endsWith("data: [DONE]\n\n");
    }
}
