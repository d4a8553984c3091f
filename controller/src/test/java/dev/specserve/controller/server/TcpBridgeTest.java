package dev.specserve.controller.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The TCP event-bus bridge, spoken by a raw socket as a non-JVM client would: each frame is a 4-byte
 * big-endian length followed by that many bytes of UTF-8 JSON.
 */
class TcpBridgeTest {
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @AfterEach
    void theEngineIsIdle() {
        server.awaitIdle();
    }

    /** A bridge client on a plain blocking socket. */
    static final class BridgeClient implements AutoCloseable {
        final Socket socket;
        final DataOutputStream out;
        final DataInputStream in;

        BridgeClient(int port) throws IOException {
            this(new Socket("127.0.0.1", port));
        }

        /** Over a connected socket (a TLS one, say). */
        BridgeClient(Socket connected) throws IOException {
            socket = connected;
            socket.setSoTimeout(60_000);
            out = new DataOutputStream(socket.getOutputStream());
            in = new DataInputStream(socket.getInputStream());
        }

        void write(JsonObject frame) throws IOException {
            byte[] json = frame.encode().getBytes(StandardCharsets.UTF_8);
            out.writeInt(json.length);
            out.write(json);
            out.flush();
        }

        JsonObject read() throws IOException {
            byte[] json = new byte[in.readInt()];
            in.readFully(json);
            return new JsonObject(new String(json, StandardCharsets.UTF_8));
        }

        void send(String address, String replyAddress, JsonObject body) throws IOException {
            write(new JsonObject().put("type", "send").put("address", address).put("replyAddress", replyAddress)
                    .put("body", body));
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    static JsonObject greedy(String prompt, int maxTokens) {
        return new JsonObject().put("prompt", prompt).put("max_tokens", maxTokens).put("temperature", 0);
    }

    @Test
    void a_send_to_specserve_generate_with_a_reply_address_gets_the_completion_back() throws Exception {
        try (BridgeClient client = new BridgeClient(server.bridgePort())) {
            client.send("specserve.generate", "my-reply-1", greedy("def add(a, b):", 8));

            JsonObject frame = client.read();

            assertThat(frame.getString("type")).isEqualTo("message");
            assertThat(frame.getString("address")).isEqualTo("my-reply-1");
            JsonObject body = frame.getJsonObject("body");
            assertThat(body.getString("finish_reason")).isIn("stop", "length");
            assertThat(body.getJsonObject("usage").getInteger("completion_tokens")).isBetween(1, 8);
        }
    }

    @Test
    void a_bad_request_over_the_bridge_comes_back_as_an_err_frame_with_code_400() throws Exception {
        try (BridgeClient client = new BridgeClient(server.bridgePort())) {
            client.send("specserve.generate", "my-reply-2", new JsonObject().put("prompt", "x").put("max_tokens", 0));

            JsonObject frame = client.read();

            assertThat(frame.getString("type")).isEqualTo("err");
            assertThat(frame.getInteger("failureCode")).isEqualTo(400);
            assertThat(new JsonObject(frame.getString("message")).getString("param")).isEqualTo("max_tokens");
        }
    }

    @Test
    void addresses_outside_the_permissions_are_refused() throws Exception {
        try (BridgeClient client = new BridgeClient(server.bridgePort())) {
            client.send("specserve.admin.shutdown", "r", new JsonObject());
            JsonObject sendRefused = client.read();
            client.write(new JsonObject().put("type", "register").put("address", "specserve.generate"));
            JsonObject registerRefused = client.read();
            client.write(new JsonObject().put("type", "publish").put("address", "specserve.stream.x.y.z")
                    .put("body", new JsonObject()));
            JsonObject publishRefused = client.read();

            assertThat(sendRefused.getString("type")).isEqualTo("err");
            assertThat(sendRefused.getString("message")).isEqualTo("access_denied");
            assertThat(registerRefused.getString("message")).isEqualTo("access_denied");
            assertThat(publishRefused.getString("message")).isEqualTo("access_denied");
            client.write(new JsonObject().put("type", "ping"));
            assertThat(client.read().getString("type")).as("the connection stays usable").isEqualTo("pong");
        }
    }

    @Test
    void a_stream_over_the_bridge_delivers_tokens_then_done() throws Exception {
        try (BridgeClient client = new BridgeClient(server.bridgePort())) {
            client.send("specserve.generate.stream", "open-1", greedy("import sys\n", 12));
            JsonObject opened = client.read().getJsonObject("body");
            client.write(new JsonObject().put("type", "register").put("address", opened.getString("address")));

            int tokens = 0;
            JsonObject frame;
            do {
                frame = client.read();
                assertThat(frame.getString("address")).isEqualTo(opened.getString("address"));
                if ("token".equals(frame.getJsonObject("body").getString("type"))) {
                    tokens += frame.getJsonObject("body").getJsonArray("tokens").size();
                }
            } while (!"done".equals(frame.getJsonObject("body").getString("type")));

            assertThat(frame.getJsonObject("body").getJsonObject("usage").getInteger("completion_tokens")).isEqualTo(tokens);
        }
    }

    @Test
    void a_cancel_sent_over_the_bridge_to_the_control_address_stops_the_stream() throws Exception {
        try (BridgeClient client = new BridgeClient(server.bridgePort())) {
            client.send("specserve.generate.stream", "open-2",
                    greedy("def main():", server.engine.contextLength() - 16).put("strategy", "none").put("domain", TestServer.SLOW));
            JsonObject opened = client.read().getJsonObject("body");
            client.write(new JsonObject().put("type", "register").put("address", opened.getString("address")));
            client.read(); // the first token chunk
            client.write(new JsonObject().put("type", "send").put("address", opened.getString("control"))
                    .put("body", new JsonObject().put("type", "cancel")));

            JsonObject body;
            do {
                body = client.read().getJsonObject("body");
            } while (!"done".equals(body.getString("type")));

            assertThat(body.getString("finish_reason")).isEqualTo("cancelled");
        }
    }

    @Test
    void a_bridge_client_that_disconnects_mid_stream_cancels_its_generation() throws Exception {
        String id;
        try (BridgeClient client = new BridgeClient(server.bridgePort())) {
            client.send("specserve.generate.stream", "open-3",
                    greedy("def main():", server.engine.contextLength() - 16).put("strategy", "none").put("domain", TestServer.SLOW));
            JsonObject opened = client.read().getJsonObject("body");
            id = opened.getString("id");
            client.write(new JsonObject().put("type", "register").put("address", opened.getString("address")));
            assertThat(client.read().getJsonObject("body").getString("type")).isEqualTo("token");
        } // the socket closes here, mid-stream

        TestServer.awaitCondition(() -> server.finished.containsKey(id), Duration.ofSeconds(30), "the request to end");
        assertThat(server.finished.get(id)).isEqualTo("cancelled");
        server.awaitIdle();
        assertThat(server.engine.running()).isZero();
    }

    /** Streams read to their end without an unregister: their consumers go, and a late unregister is harmless. */
    @Test
    void a_long_lived_connection_keeps_no_consumer_of_a_stream_that_has_ended() throws Exception {
        double before = server.metric("vertx_eventbus_handlers");
        try (BridgeClient client = new BridgeClient(server.bridgePort())) {
            for (int i = 0; i < 12; i++) {
                client.send("specserve.generate.stream", "open-many-" + i, greedy("x = " + i, 2));
                JsonObject opened = client.read().getJsonObject("body");
                client.write(new JsonObject().put("type", "register").put("address", opened.getString("address")));
                JsonObject body;
                do {
                    body = client.read().getJsonObject("body");
                } while (!"done".equals(body.getString("type")));
                if (i == 11) { // as the docs used to ask: accepted without an answer, like any unregister
                    Thread.sleep(500); // after the server dropped it (200 ms after done)
                    client.write(new JsonObject().put("type", "unregister").put("address", opened.getString("address")));
                }
            }
            TestServer.awaitCondition(() -> server.metric("vertx_eventbus_handlers") <= before,
                    Duration.ofSeconds(10), "the ended streams' consumers to go");
            client.write(new JsonObject().put("type", "ping"));
            assertThat(client.read().getString("type")).as("no err frame came before the pong").isEqualTo("pong");
        }
    }

    @Test
    void headers_the_bridge_cannot_read_refuse_that_frame_and_the_connection_goes_on() throws Exception {
        double before = server.metric("specserve_bridge_frames_refused_total");
        try (BridgeClient client = new BridgeClient(server.bridgePort())) {
            for (Object timeout : new Object[] {0, -5, "soon", 2.5, "5000"}) {
                client.write(new JsonObject().put("type", "send").put("address", "specserve.generate")
                        .put("replyAddress", "r-timeout").put("headers", new JsonObject().put("timeout", timeout))
                        .put("body", greedy("x", 1)));
                JsonObject err = client.read();
                assertThat(err.getString("type")).isEqualTo("err");
                assertThat(err.getString("address")).isEqualTo("r-timeout");
                assertThat(err.getString("message")).startsWith("headers.timeout must be a whole number of milliseconds")
                        .endsWith(timeout instanceof String t ? "got \"" + t + "\"" : "got " + timeout);
            }
            client.write(new JsonObject().put("type", "send").put("address", "specserve.generate"));
            assertThat(client.read().getString("message")).isEqualTo(TcpBridgeVerticle.BLOCKED); // no replyAddress
            client.write(new JsonObject().put("type", "send").put("replyAddress", "r"));
            assertThat(client.read().getString("message")).isEqualTo("missing_address");

            client.send("specserve.generate", "r-after", greedy("def add(a, b):", 2));
            assertThat(client.read().getString("address")).as("the same connection still serves").isEqualTo("r-after");
            assertThat(server.metric("specserve_bridge_frames_refused_total")).as("5 timeouts and 1 missing address")
                    .isEqualTo(before + 6);
        }
    }

    /**
     * What a connection can make the bridge hold is bounded with no help from the client: a frame left one byte
     * short is refused at its deadline though the client sends nothing more (it was held until the idle timeout),
     * and a refused registration leaves nothing (each was kept until the connection closed, 1 MB addresses too).
     */
    @Test
    void a_connection_gone_quiet_mid_frame_is_refused_at_the_deadline_and_refused_registrations_leave_nothing()
            throws Exception {
        var registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        var security = new dev.specserve.controller.config.ServerConfig.Security(java.util.List.of(), java.util.List.of(),
                1 << 16, java.util.List.of(), java.util.List.of(), 300, 60, null, null);
        TcpBridgeVerticle bridge = new TcpBridgeVerticle("127.0.0.1", port, security, new StreamOwnership(), registry,
                java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(300));
        var vertx = server.server.vertx();
        String deployment = vertx.deployVerticle(bridge).await(30, java.util.concurrent.TimeUnit.SECONDS);
        try (BridgeClient quiet = new BridgeClient(port); BridgeClient registering = new BridgeClient(port)) {
            for (int i = 0; i < 10; i++) {
                registering.write(new JsonObject().put("type", "register").put("address", "x".repeat(10_000) + i));
                registering.write(new JsonObject().put("type", "register")
                        .put("address", EventBusApiVerticle.STREAM_PREFIX + StreamOwnership.newCapability()));
            }
            for (int i = 0; i < 20; i++) {
                assertThat(registering.read().getString("type")).isEqualTo("err");
            }
            assertThat(bridge.connections()).hasSize(2).allSatisfy(c -> assertThat(c.registrations()).isZero());

            quiet.out.writeInt(100);
            quiet.out.write(new byte[99]);
            quiet.out.flush();
            long sent = System.nanoTime();
            assertThat(quiet.read().getString("message")).isEqualTo("frame_timeout");

            assertThat(Duration.ofNanos(System.nanoTime() - sent)).isLessThan(Duration.ofSeconds(5));
            assertThat(registry.get(BridgeRefusals.TIMED_OUT).counter().count()).isEqualTo(1);
        } finally {
            vertx.undeploy(deployment).await(30, java.util.concurrent.TimeUnit.SECONDS);
        }
    }
}
