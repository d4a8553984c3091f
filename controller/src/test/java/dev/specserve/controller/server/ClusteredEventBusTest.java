package dev.specserve.controller.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.specserve.controller.cluster.ClusterClient;
import dev.specserve.drafters.DrafterConfig;
import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.GenerationRequest;
import dev.specserve.runtime.spec.RoundListener;
import io.vertx.core.Future;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Two specserve replicas and one client, each its own clustered Vert.x instance (Hazelcast, TCP-IP discovery on
 * 127.0.0.1), in one JVM: the client's requests are spread over both replicas with greedy output identical to a
 * local decode, streams work across members, a full replica's 429 is retried on the other, and stopping a
 * replica mid-stream ends that stream with a failure while later requests go to the survivor.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusteredEventBusTest {
    static TestServer a;
    static TestServer b;
    static ClusterClient client;

    @BeforeAll
    static void cluster() throws Exception {
        String name = "specserve-test-" + UUID.randomUUID();
        int pa = freePort();
        int pb = freePort();
        int pc = freePort();
        List<String> members = List.of("127.0.0.1:" + pa, "127.0.0.1:" + pb, "127.0.0.1:" + pc);
        Map<String, String> as = new java.util.HashMap<>(settings(name, pa, members, "4"));
        as.put("bridge_port", Integer.toString(freePort())); // a's TCP bridge, while b is in the cluster too
        a = TestServer.start(as);
        // replica b takes one sequence and queues none, so a second concurrent request there answers 429
        Map<String, String> bs = new java.util.HashMap<>(settings(name, pb, members, "1"));
        bs.put("queue_capacity", "0");
        b = TestServer.start(bs);
        client = ClusterClient.join(name, pc, members, 10_000);
        TestServer.awaitCondition(() -> client.members().size() == 3, Duration.ofSeconds(60), "three cluster members");
    }

    static Map<String, String> settings(String name, int port, List<String> members, String maxBatch) {
        return Map.of("cluster", "true", "cluster_name", name, "cluster_port", Integer.toString(port),
                "cluster_members", String.join(",", members), "bridge_port", "0", "max_batch", maxBatch);
    }

    @AfterAll
    static void close() throws Exception {
        if (client != null) {
            client.close();
        }
        for (TestServer s : new TestServer[] {a, b}) {
            if (s != null) {
                s.close();
            }
        }
    }

    @Test
    @Order(0) // while both replicas are up
    void requestsOverAReplicasTcpBridgeAreServedByThatReplicaNotCancelledByAnother() throws Exception {
        try (TcpBridgeTest.BridgeClient bridge = new TcpBridgeTest.BridgeClient(a.bridgePort())) {
            for (int i = 0; i < 6; i++) {
                bridge.send("specserve.generate", "r" + i, greedy("def f" + i + "(x):", 6));
                JsonObject frame = bridge.read();
                assertThat(frame.getString("type")).as(frame.encode()).isEqualTo("message");
                assertThat(frame.getJsonObject("body").getString("finish_reason")).as("request " + i)
                        .isIn("stop", "length");
            }
        }
    }

    /** cluster_host is 127.0.0.1 here: no other interface of this machine answers on the member's port. */
    @Test
    @Order(0)
    void theClusterPortListensOnTheClusterHostOnly() throws Exception {
        int port = Integer.parseInt(settingsPort(a));
        java.util.List<java.net.InetAddress> others = java.util.Collections.list(java.net.NetworkInterface
                        .getNetworkInterfaces()).stream().filter(i -> { try { return i.isUp() && !i.isLoopback(); }
                        catch (java.net.SocketException e) { return false; } })
                .flatMap(i -> java.util.Collections.list(i.getInetAddresses()).stream())
                .filter(addr -> addr instanceof java.net.Inet4Address).toList();
        org.junit.jupiter.api.Assumptions.assumeFalse(others.isEmpty(), "a non-loopback IPv4 interface to try");
        try (java.net.Socket loopback = new java.net.Socket("127.0.0.1", port)) {
            assertThat(loopback.isConnected()).isTrue();
        }
        for (java.net.InetAddress addr : others) {
            try (java.net.Socket s = new java.net.Socket()) {
                s.connect(new java.net.InetSocketAddress(addr, port), 2000);
                org.junit.jupiter.api.Assertions.fail("the cluster port answered on " + addr);
            } catch (java.io.IOException refused) {
                // as it should
            }
        }
    }

    static String settingsPort(TestServer s) {
        return String.valueOf(s.server.config().cluster().port());
    }

    static JsonObject greedy(String prompt, int maxTokens) {
        return new JsonObject().put("prompt", prompt).put("max_tokens", maxTokens).put("temperature", 0);
    }

    static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
    }

    static String local(String prompt, int maxTokens) {
        return a.stack.decoder().generate(GenerationRequest.greedy(a.stack.tokenizer().encode(prompt), maxTokens,
                new DraftBudget(6, 4)), a.stack.strategy("none", DrafterConfig.defaults()), RoundListener.NONE,
                () -> false).text();
    }

    @Test
    @Order(1)
    void requestsFromAnotherMemberAreServedByBothReplicasWithTheLocalGreedyOutput() throws Exception {
        String prompt = "def read_config(path):\n    with open(path) as f:\n        ";
        Set<String> nodes = new HashSet<>();
        for (int i = 0; i < 6; i++) {
            JsonObject reply = await(client.generateWithRetry(greedy(prompt, 24), 5));
            nodes.add(reply.getString("node"));
            assertThat(reply.getString("text")).isEqualTo(local(prompt, 24));
        }
        assertThat(nodes).as("replicas that served").hasSize(2);
    }

    @Test
    @Order(2)
    void streamsWorkAcrossMembers() throws Exception {
        String prompt = "for (int i = 0; i < n; i++) {\n";
        List<String> types = new ArrayList<>();
        ClusterClient.Streamed s = await(client.stream(greedy(prompt, 24), c -> types.add(c.getString("type"))));

        assertThat(s.text()).isEqualTo(local(prompt, 24));
        assertThat(s.done().getString("finish_reason")).isEqualTo("length");
        assertThat(types).contains("token").endsWith("done");
    }

    /**
     * Starts slow streams until one runs on b (the engines say where), then waits until every stream that has not
     * failed has had a chunk: only then is the client listening on each stream's address, so stopping b cannot fall
     * between b taking a stream and the client hearing where it runs.
     */
    static List<Future<ClusterClient.Streamed>> occupyB(String prompt) {
        JsonObject slow = greedy(prompt, 400).put("domain", TestServer.SLOW).put("strategy", "none");
        List<Future<ClusterClient.Streamed>> streams = new ArrayList<>();
        List<AtomicInteger> chunks = new ArrayList<>();
        for (int i = 0; i < 6 && b.engine.running() == 0; i++) {
            AtomicInteger seen = new AtomicInteger();
            chunks.add(seen);
            streams.add(client.stream(slow, c -> seen.incrementAndGet()));
            int started = streams.size();
            TestServer.awaitCondition(() -> a.engine.running() + b.engine.running() >= Math.min(started, 2)
                    || b.engine.running() > 0, Duration.ofSeconds(20), "the stream started");
        }
        assertThat(b.engine.running()).as("a stream runs on b").isPositive();
        TestServer.awaitCondition(() -> IntStream.range(0, streams.size())
                .allMatch(i -> streams.get(i).failed() || chunks.get(i).get() > 0), Duration.ofSeconds(20),
                "every running stream has had a chunk");
        return streams;
    }

    @Test
    @Order(3)
    void aFullReplicaAnswers429AndTheRetryIsServedByTheOther() throws Exception {
        List<Future<ClusterClient.Streamed>> occupying = occupyB("class Queue:\n    def __init__(self):\n        self.");
        List<Throwable> refusals = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            try {
                await(client.generate(greedy("x = ", 4)));
            } catch (ExecutionException e) {
                refusals.add(e.getCause());
            }
        }
        JsonObject retried = await(client.generateWithRetry(greedy("y = ", 4), 4));

        assertThat(refusals).as("requests b refused while full").isNotEmpty()
                .allSatisfy(e -> assertThat(((ReplyException) e).failureCode()).isEqualTo(429))
                .allSatisfy(e -> assertThat(new JsonObject(e.getMessage()).getString("node"))
                        .as("a refusal names the replica, as a reply does").isNotBlank());
        assertThat(retried.getString("finish_reason")).isNotNull();
        for (Future<ClusterClient.Streamed> f : occupying) {
            await(f.recover(e -> Future.succeededFuture()));
        }
    }

    @Test
    @Order(4)
    void stoppingAReplicaMidStreamFailsThatStreamAndLaterRequestsGoToTheSurvivor() throws Exception {
        List<Future<ClusterClient.Streamed>> streams = occupyB("import os\nimport sys\n\n\ndef main(argv=None):\n");
        long stopped = System.nanoTime();
        b.close();
        b = null;

        TestServer.awaitCondition(() -> streams.stream().anyMatch(Future::failed), Duration.ofSeconds(15),
                "the stream on the stopped replica fails");
        Throwable failure = streams.stream().filter(Future::failed).findFirst().orElseThrow().cause();
        assertThat(failure).as("the stream served by the stopped replica").isNotNull();
        assertThat(failure.getMessage()).contains("replica");
        assertThat(Duration.ofNanos(System.nanoTime() - stopped)).isLessThan(Duration.ofSeconds(15));

        TestServer.awaitCondition(() -> client.members().size() == 2, Duration.ofSeconds(30), "b left the cluster");
        Set<String> nodes = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            nodes.add(await(client.generate(greedy("z = ", 4))).getString("node"));
        }
        assertThat(nodes).as("replicas serving after b stopped").hasSize(1);
        for (Future<ClusterClient.Streamed> f : streams) {
            await(f.recover(e -> Future.succeededFuture()));
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
