package dev.specserve.controller.cluster;

import com.hazelcast.config.Config;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A minimal Vert.x client of a specserve cluster, as a user's own service would be: it joins the cluster,
 * asks {@code specserve.generate} for a completion and {@code specserve.generate.stream} for a stream, retries
 * a 429 (the cluster's event bus sends the retry to the next replica), and fails a stream at once when the
 * replica serving it leaves the cluster, or when nothing arrives for the stream timeout.
 *
 * <pre>
 *   java ... ClusterClient [members=127.0.0.1] [prompt]
 * </pre>
 */
public final class ClusterClient implements AutoCloseable {
    public static final String GENERATE = "specserve.generate";
    public static final String GENERATE_STREAM = "specserve.generate.stream";

    private final Vertx vertx;
    private final HazelcastClusterManager cluster;
    private final long streamTimeoutMillis;

    private ClusterClient(Vertx vertx, HazelcastClusterManager cluster, long streamTimeoutMillis) {
        this.vertx = vertx;
        this.cluster = cluster;
        this.streamTimeoutMillis = streamTimeoutMillis;
    }

    /** Joins cluster {@code name} on loopback, contacting {@code members} (host:port, ...) over TCP-IP. */
    public static ClusterClient join(String name, int port, List<String> members, long streamTimeoutMillis)
            throws Exception {
        Config hz = ConfigUtil.loadConfig();
        hz.setClusterName(name);
        hz.setProperty("hazelcast.logging.type", "slf4j");
        hz.setProperty("hazelcast.phone.home.enabled", "false");
        hz.setProperty("hazelcast.shutdownhook.enabled", "false");
        hz.setProperty("hazelcast.wait.seconds.before.join", "0");
        hz.getNetworkConfig().setPort(port).setPortAutoIncrement(true);
        hz.getNetworkConfig().getInterfaces().setEnabled(true).setInterfaces(List.of("127.0.0.1"));
        hz.getNetworkConfig().getJoin().getMulticastConfig().setEnabled(false);
        hz.getNetworkConfig().getJoin().getAutoDetectionConfig().setEnabled(false);
        hz.getNetworkConfig().getJoin().getTcpIpConfig().setEnabled(true).setMembers(members);
        HazelcastClusterManager manager = new HazelcastClusterManager(hz);
        Vertx vertx = Vertx.builder()
                .with(new VertxOptions().setEventBusOptions(new EventBusOptions().setHost("127.0.0.1")
                        .setClusterPublicHost("127.0.0.1")))
                .withClusterManager(manager).buildClustered()
                .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        return new ClusterClient(vertx, manager, streamTimeoutMillis);
    }

    public Vertx vertx() {
        return vertx;
    }

    /** Cluster members this client currently sees (itself included). */
    public List<String> members() {
        return cluster.getNodes();
    }

    /** One completion; fails with the replica's failure code (400, 429, 500) and its JSON message. */
    public Future<JsonObject> generate(JsonObject request) {
        return vertx.eventBus().<JsonObject>request(GENERATE, request, new DeliveryOptions().setSendTimeout(120_000))
                .map(m -> m.body());
    }

    /**
     * One completion, retrying a 429 (queue full) or a 503 (that replica is stopping, or the request timed out
     * before it started: nothing was generated) up to {@code attempts} times; the retry goes to the next replica.
     */
    public Future<JsonObject> generateWithRetry(JsonObject request, int attempts) {
        return generate(request).recover(e -> attempts > 1 && e instanceof ReplyException r
                && (r.failureCode() == 429 || r.failureCode() == 503)
                ? generateWithRetry(request, attempts - 1) : Future.failedFuture(e));
    }

    /** A streamed completion as it went: the replica's node, the text, the final chunk. */
    public record Streamed(String node, String text, JsonObject done) {}

    /**
     * Streams one completion to its end. Fails with a clear message when the replica reports an error (e.g. it
     * is stopping), leaves the cluster, or sends nothing for the stream timeout; a start reply that does not come
     * within the stream timeout (the replica stopped between taking the request and answering) fails it too.
     */
    public Future<Streamed> stream(JsonObject request, java.util.function.Consumer<JsonObject> onChunk) {
        DeliveryOptions start = new DeliveryOptions().setSendTimeout(streamTimeoutMillis);
        return vertx.eventBus().<JsonObject>request(GENERATE_STREAM, request, start).compose(m -> {
            JsonObject started = m.body();
            String node = started.getString("node");
            Promise<Streamed> result = Promise.promise();
            StringBuilder text = new StringBuilder();
            long[] lastChunk = {System.nanoTime()};
            MessageConsumer<JsonObject> consumer = vertx.eventBus().consumer(started.getString("address"));
            long watch = vertx.setPeriodic(200, t -> {
                if (node != null && !cluster.getNodes().contains(node)) {
                    result.tryFail("the replica serving this stream (node " + node + ") left the cluster");
                } else if (System.nanoTime() - lastChunk[0] > TimeUnit.MILLISECONDS.toNanos(streamTimeoutMillis)) {
                    result.tryFail("no chunk for " + streamTimeoutMillis + " ms from node " + node);
                }
            });
            consumer.handler(chunk -> {
                lastChunk[0] = System.nanoTime();
                JsonObject c = chunk.body();
                onChunk.accept(c);
                switch (c.getString("type")) {
                    case "token" -> text.append(c.getString("text", ""));
                    case "done" -> result.tryComplete(new Streamed(node, text.toString(), c));
                    default -> result.tryFail("the replica failed the stream: " + c.getJsonObject("error"));
                }
            });
            return result.future().onComplete(r -> {
                vertx.cancelTimer(watch);
                consumer.unregister();
            });
        });
    }

    @Override
    public void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    /** The program: {@code ClusterClient [members] [prompt]} prints a completion and a stream. */
    public static void main(String[] args) throws Exception {
        List<String> members = List.of((args.length > 0 ? args[0] : "127.0.0.1").split(","));
        String prompt = args.length > 1 ? args[1] : "def fibonacci(n):";
        try (ClusterClient client = join("specserve", 5701, members, 10_000)) {
            JsonObject request = new JsonObject().put("prompt", prompt).put("max_tokens", 32).put("temperature", 0);
            JsonObject reply = client.generateWithRetry(request, 3).toCompletionStage().toCompletableFuture()
                    .get(120, TimeUnit.SECONDS);
            System.out.println("generate (node " + reply.getString("node") + "): " + reply.getString("text"));
            Streamed s = client.stream(request, c -> {
                if ("token".equals(c.getString("type"))) {
                    System.out.print(c.getString("text"));
                }
            }).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
            System.out.println("\nstream (node " + s.node() + ") done: " + s.done().getString("finish_reason"));
        }
    }
}
