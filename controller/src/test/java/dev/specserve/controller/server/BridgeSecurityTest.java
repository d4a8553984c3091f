package dev.specserve.controller.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.specserve.controller.server.TcpBridgeTest.BridgeClient;
import io.vertx.core.json.JsonObject;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketException;
import java.util.List;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Streams belong to the bridge connection that opened them, a closing connection cancels what it started, unclaimed
 * streams are cancelled and counted, and over-large frames close the connection: all spoken over real sockets.
 */
class BridgeSecurityTest {
    static final long CONSUMER_TIMEOUT_MS = 600;
    static final int MAX_FRAME = 8192;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("stream_consumer_timeout_ms", Long.toString(CONSUMER_TIMEOUT_MS),
                "bridge_max_frame_bytes", Integer.toString(MAX_FRAME)));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @AfterEach
    void theEngineIsIdle() {
        server.awaitIdle();
    }

    /** Tokens a slow request asks for: most of the context, since prompt + max_tokens must fit it. */
    static final int SLOW_TOKENS = 400;

    static JsonObject slow(String prompt) {
        return TcpBridgeTest.greedy(prompt, SLOW_TOKENS).put("strategy", "none")
                .put("domain", TestServer.SLOW);
    }

    static double cancelled() {
        return server.metric("specserve_requests_finished_total{finish_reason=\"cancelled\"}");
    }

    @Test
    void a_stream_address_carries_a_random_capability_not_the_request_id() throws Exception {
        try (BridgeClient client = new BridgeClient(server.bridgePort())) {
            client.send("specserve.generate.stream", "open", TcpBridgeTest.greedy("x = ", 4));
            JsonObject opened = client.read().getJsonObject("body");
            client.write(new JsonObject().put("type", "register").put("address", opened.getString("address")));
            drainToDone(client);

            String capability = opened.getString("address").substring(EventBusApiVerticle.STREAM_PREFIX.length());
            assertThat(capability).hasSize(StreamOwnership.CAPABILITY_CHARS).matches("[A-Za-z0-9_-]+")
                    .doesNotContain(opened.getString("id"));
            assertThat(opened.getString("control")).isEqualTo(opened.getString("address") + ".control");
        }
    }

    @Test
    void another_connection_cannot_register_on_or_cancel_a_stream_it_did_not_open() throws Exception {
        try (BridgeClient owner = new BridgeClient(server.bridgePort());
             BridgeClient intruder = new BridgeClient(server.bridgePort())) {
            owner.send("specserve.generate.stream", "open", TcpBridgeTest.greedy("def main():", 24).put("domain", TestServer.SLOW));
            JsonObject opened = owner.read().getJsonObject("body");

            intruder.write(new JsonObject().put("type", "register").put("address", opened.getString("address")));
            JsonObject registerRefused = intruder.read();
            intruder.write(new JsonObject().put("type", "send").put("address", opened.getString("control"))
                    .put("body", new JsonObject().put("type", "cancel")));
            JsonObject cancelRefused = intruder.read();
            intruder.send(opened.getString("control"), "r", new JsonObject().put("type", "cancel"));
            JsonObject requestRefused = intruder.read();
            // a forged connection header is replaced by the bridge: the stream still is not the intruder's
            intruder.write(new JsonObject().put("type", "send").put("address", "specserve.generate.stream")
                    .put("replyAddress", "forged").put("headers", new JsonObject().put("Specserve-Bridge-Connection", "x"))
                    .put("body", TcpBridgeTest.greedy("y = ", 2)));
            JsonObject forgedFrame = intruder.read();
            JsonObject forgedOpened = forgedFrame.getJsonObject("body");
            assertThat(forgedOpened).as(forgedFrame.encode()).isNotNull();
            owner.write(new JsonObject().put("type", "register").put("address", forgedOpened.getString("address")));
            JsonObject ownerRefused = owner.read();
            intruder.write(new JsonObject().put("type", "register").put("address", forgedOpened.getString("address")));

            owner.write(new JsonObject().put("type", "register").put("address", opened.getString("address")));
            JsonObject done = drainToDone(owner);

            for (JsonObject refused : new JsonObject[] {registerRefused, cancelRefused, requestRefused, ownerRefused}) {
                assertThat(refused.getString("type")).isEqualTo("err");
                assertThat(refused.getString("message")).isEqualTo(TcpBridgeVerticle.BLOCKED);
            }
            assertThat(done.getString("finish_reason")).as("the owner's stream was not cancelled").isIn("stop", "length");
        }
    }

    @Test
    void a_second_consumer_on_the_same_stream_is_refused_since_the_bridge_would_leak_the_first() throws Exception {
        try (BridgeClient owner = new BridgeClient(server.bridgePort())) {
            owner.send("specserve.generate.stream", "open", TcpBridgeTest.greedy("def main():", 16).put("domain", TestServer.SLOW));
            String address = owner.read().getJsonObject("body").getString("address");

            owner.write(new JsonObject().put("type", "register").put("address", address));
            owner.write(new JsonObject().put("type", "register").put("address", address));

            List<JsonObject> errors = new java.util.ArrayList<>();
            while (true) { // the stream's tokens, with the refusal somewhere among them, to its done
                JsonObject frame = owner.read();
                if ("err".equals(frame.getString("type"))) {
                    errors.add(frame);
                } else if ("done".equals(frame.getJsonObject("body").getString("type"))) {
                    break;
                }
            }
            assertThat(errors).hasSize(1);
            assertThat(errors.get(0).getString("message")).isEqualTo(TcpBridgeVerticle.BLOCKED);
        }
    }

    @Test
    void a_generation_whose_answer_nobody_would_receive_is_refused_and_counted() throws Exception {
        double denied = server.metric("specserve_bridge_frames_denied_total");
        try (BridgeClient client = new BridgeClient(server.bridgePort())) {
            client.write(new JsonObject().put("type", "publish").put("address", "specserve.generate")
                    .put("body", TcpBridgeTest.greedy("x = ", 2)));
            JsonObject published = client.read();
            client.write(new JsonObject().put("type", "send").put("address", "specserve.generate.stream")
                    .put("body", TcpBridgeTest.greedy("x = ", 2)));
            JsonObject noReply = client.read();

            assertThat(published.getString("message")).isEqualTo(TcpBridgeVerticle.BLOCKED);
            assertThat(noReply.getString("message")).isEqualTo(TcpBridgeVerticle.BLOCKED);
            // counted each, logged at most once a minute: a client can send them as fast as TCP goes
            assertThat(server.metric("specserve_bridge_frames_denied_total")).isEqualTo(denied + 2);
        }
    }

    @Test
    void closing_the_connection_cancels_its_request_reply_generation() throws Exception {
        double before = cancelled();
        try (BridgeClient client = new BridgeClient(server.bridgePort())) {
            client.send("specserve.generate", "reply", slow("def main():"));
            TestServer.awaitCondition(() -> server.engine.running() == 1, Duration.ofSeconds(30), "the request runs");
        }
        long closed = System.nanoTime(); // timed from the close: a slow machine may take long to start the request

        TestServer.awaitCondition(() -> cancelled() == before + 1, Duration.ofSeconds(30), "the request is cancelled");
        server.awaitIdle();
        // the full generation would take at least maxTokens rounds of SLOW_ROUND_MILLIS
        assertThat(Duration.ofNanos(System.nanoTime() - closed))
                .isLessThan(Duration.ofMillis(SLOW_TOKENS * TestServer.SLOW_ROUND_MILLIS));
    }

    @Test
    void closing_the_connection_before_registering_cancels_its_stream() throws Exception {
        double before = cancelled();
        double unclaimed = server.metric("specserve_bridge_streams_unclaimed_total");
        long closed;
        try (BridgeClient client = new BridgeClient(server.bridgePort())) {
            client.send("specserve.generate.stream", "open", slow("import os\n"));
            client.read();
            closed = System.nanoTime();
        }

        TestServer.awaitCondition(() -> cancelled() == before + 1, Duration.ofSeconds(30), "the stream is cancelled");
        assertThat(Duration.ofNanos(System.nanoTime() - closed)).isLessThan(Duration.ofMillis(CONSUMER_TIMEOUT_MS));
        assertThat(server.metric("specserve_bridge_streams_unclaimed_total")).as("cancelled for the close, not the timeout")
                .isEqualTo(unclaimed);
        TestServer.awaitCondition(() -> server.server.openStreams() == 0, Duration.ofSeconds(5), "the stream closed");
    }

    /**
     * The consumer timeout runs from when the client is told the address: a constraint that compiles for longer
     * than the timeout used to have its stream cancelled as unclaimed before its client could know where to listen,
     * and the open request was never answered (the bridge's 30 s TIMEOUT).
     */
    @Test
    void a_stream_whose_constraint_compiles_longer_than_the_consumer_timeout_still_opens_for_its_client()
            throws Exception {
        JsonObject properties = new JsonObject();
        for (int i = 0; i < 10; i++) { // ten long required strings: about 23,000 states, compiled in 0.4-1.2 s here
            properties.put("f" + i + "_" + System.nanoTime(), new JsonObject().put("type", "string").put("maxLength", 256));
        }
        JsonObject schema = new JsonObject().put("type", "object").put("properties", properties)
                .put("required", new io.vertx.core.json.JsonArray(List.copyOf(properties.fieldNames())));
        long timeoutMs = 150; // well under the compile; a client registers a loopback round trip after the reply
        try (TestServer quick = TestServer.start(Map.of("stream_consumer_timeout_ms", Long.toString(timeoutMs)));
             BridgeClient client = new BridgeClient(quick.bridgePort())) {
            long sent = System.nanoTime();
            client.send("specserve.generate.stream", "open", TcpBridgeTest.greedy("{", 4).put("guided_json", schema));
            JsonObject opened = client.read();
            long waited = (System.nanoTime() - sent) / 1_000_000;
            assertThat(opened.getString("type")).as(opened.encode()).isEqualTo("message");
            client.write(new JsonObject().put("type", "register").put("address",
                    opened.getJsonObject("body").getString("address")));

            JsonObject done = drainToDone(client);

            assertThat(done.getString("type")).as(done.encode()).isEqualTo("done");
            assertThat(waited).as("the compile outlasted the consumer timeout (else this shows nothing)")
                    .isGreaterThan(timeoutMs);
            assertThat(quick.metric("specserve_bridge_streams_unclaimed_total")).isZero();
        }
    }

    @Test
    void a_stream_nobody_registers_for_is_cancelled_after_the_timeout_and_counted() throws Exception {
        double unclaimed = server.metric("specserve_bridge_streams_unclaimed_total");
        double before = cancelled();
        try (BridgeClient client = new BridgeClient(server.bridgePort())) {
            client.send("specserve.generate.stream", "open", slow("class A:\n"));
            client.read();

            TestServer.awaitCondition(() -> cancelled() == before + 1, Duration.ofSeconds(30), "the stream is cancelled");
            assertThat(server.metric("specserve_bridge_streams_unclaimed_total")).isEqualTo(unclaimed + 1);
            assertThat(server.server.openStreams()).isZero();
        }
    }

    /**
     * A stream still queued at the timeout, with no consumer registered, leaves the queue then: it kept its place
     * until a slot freed, and was prefilled for nobody before its first chunk found no consumer.
     */
    @Test
    void a_queued_stream_nobody_registers_for_leaves_the_queue_at_the_timeout() throws Exception {
        double unclaimed = server.metric("specserve_bridge_streams_unclaimed_total");
        List<io.vertx.core.Future<?>> busy = new java.util.ArrayList<>();
        for (int i = 0; i < server.server.config().maxBatch(); i++) {
            busy.add(server.server.vertx().eventBus().request(EventBusApiVerticle.GENERATE, slow("x" + i + " = ")
                    .put("max_tokens", 100), new io.vertx.core.eventbus.DeliveryOptions().setSendTimeout(60_000)));
        }
        TestServer.awaitCondition(() -> server.engine.running() == server.server.config().maxBatch(),
                Duration.ofSeconds(30), "every slot taken");
        try (BridgeClient client = new BridgeClient(server.bridgePort())) {
            client.send("specserve.generate.stream", "open", slow("import sys\n"));
            client.read();
            TestServer.awaitCondition(() -> server.engine.waiting() == 1, Duration.ofSeconds(5), "the stream queued");

            TestServer.awaitCondition(() -> server.metric("specserve_bridge_streams_unclaimed_total") == unclaimed + 1,
                    Duration.ofMillis(CONSUMER_TIMEOUT_MS * 3), "the unclaimed stream cancelled");
            TestServer.awaitCondition(() -> server.engine.waiting() == 0, Duration.ofSeconds(1), "the queue empty");
            assertThat(server.engine.running()).as("while every slot is still busy").isEqualTo(busy.size());
        }
        for (io.vertx.core.Future<?> f : busy) {
            f.await(60, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    @Test
    void a_frame_over_the_limit_closes_that_connection_only_and_is_counted() throws Exception {
        double oversized = server.metric("specserve_bridge_frames_oversized_total");
        try (BridgeClient good = new BridgeClient(server.bridgePort());
             BridgeClient big = new BridgeClient(server.bridgePort());
             BridgeClient huge = new BridgeClient(server.bridgePort())) {
            big.send("specserve.generate", "r", new JsonObject().put("prompt", "x".repeat(MAX_FRAME)).put("max_tokens", 1));
            JsonObject err = big.read();
            huge.out.writeInt(Integer.MAX_VALUE); // announces 2 GiB and sends nothing more
            huge.out.flush();
            JsonObject hugeErr = huge.read();

            assertThat(err.getString("type")).isEqualTo("err");
            assertThat(err.getString("message")).isEqualTo("frame_too_large");
            assertThat(hugeErr.getString("message")).isEqualTo("frame_too_large");
            assertThatThrownBy(big::read).isInstanceOfAny(EOFException.class, SocketException.class);
            assertThatThrownBy(huge::read).isInstanceOfAny(EOFException.class, SocketException.class);
            assertThat(server.metric("specserve_bridge_frames_oversized_total")).isEqualTo(oversized + 2);

            good.send("specserve.generate", "ok", TcpBridgeTest.greedy("y".repeat(MAX_FRAME / 2), 1));
            JsonObject reply = good.read();
            assertThat(reply.getString("type")).as(reply.encode()).isIn("message", "err");
            assertThat(reply.getString("message")).as("a frame under the limit is not refused for its size")
                    .isNotEqualTo("frame_too_large");
        }
    }

    @Test
    void a_frame_without_a_type_or_of_an_unknown_type_is_answered_and_counted_and_the_connection_goes_on()
            throws Exception {
        double refused = server.metric("specserve_bridge_frames_refused_total");
        try (BridgeClient client = new BridgeClient(server.bridgePort())) {
            client.socket.setSoTimeout(10_000);
            client.write(new JsonObject().put("address", "x")); // no type: Vert.x's bridge would throw mid-frame
            JsonObject none = client.read();
            client.write(new JsonObject().put("type", "bogus").put("address", "specserve.generate")
                    .put("replyAddress", "r"));
            JsonObject bogus = client.read();
            client.write(new JsonObject().put("type", "ping"));
            JsonObject pong = client.read();

            assertThat(none.getString("type")).isEqualTo("err");
            assertThat(none.getString("message")).contains("unknown frame type (none)");
            assertThat(bogus.getString("message")).contains("'bogus'", "send, publish, register, unregister, ping");
            assertThat(bogus.getString("address")).isEqualTo("r");
            assertThat(pong.getString("type")).as("the connection keeps working").isEqualTo("pong");
        }
        assertThat(server.metric("specserve_bridge_frames_refused_total")).isEqualTo(refused + 2);
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "body [{0}]")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"{not json", "[1,2]", "\"text\"", "", "deep"})
    void a_frame_whose_body_is_no_json_object_is_answered_counted_and_closes_that_connection(String frame)
            throws Exception {
        byte[] body = (frame.equals("deep") ? "{\"a\":".repeat(1200) + "1" + "}".repeat(1200) : frame)
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        double invalid = server.metric("specserve_bridge_frames_invalid_total");
        try (BridgeClient bad = new BridgeClient(server.bridgePort())) {
            bad.socket.setSoTimeout(10_000);
            bad.out.writeInt(body.length);
            bad.out.write(body);
            bad.out.flush();

            JsonObject err = bad.read();
            assertThat(err.getString("type")).isEqualTo("err");
            assertThat(err.getString("message")).isEqualTo("invalid_frame");
            assertThatThrownBy(bad::read).isInstanceOfAny(EOFException.class, SocketException.class);
        }
        assertThat(server.metric("specserve_bridge_frames_invalid_total")).isEqualTo(invalid + 1);
    }

    @Test
    void a_well_formed_frame_split_across_writes_is_served() throws Exception {
        try (BridgeClient client = new BridgeClient(server.bridgePort())) {
            byte[] ping = new JsonObject().put("type", "ping").encode().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            client.out.writeShort(0);
            client.out.flush();
            Thread.sleep(50);
            client.out.writeShort(ping.length);
            client.out.write(ping, 0, 5);
            client.out.flush();
            Thread.sleep(50);
            client.out.write(ping, 5, ping.length - 5);
            client.out.flush();

            assertThat(client.read().getString("type")).isEqualTo("pong");
        }
    }

    static JsonObject drainToDone(BridgeClient client) throws IOException {
        JsonObject body;
        do {
            body = client.read().getJsonObject("body");
        } while (!"done".equals(body.getString("type")) && !"error".equals(body.getString("type")));
        return body;
    }
}
