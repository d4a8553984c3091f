package dev.specserve.controller.cluster;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What each member of the cluster serves. Replicas in one cluster share {@code specserve.generate}, so a replica
 * serving another model answers a share of every client's requests: those naming a model get 404 there, those
 * naming none get another model's text. Each replica keeps its served model (names, context, vocabulary) in a
 * cluster-wide map, refreshed every {@code every} with a time to live of three refreshes, so a member that left is
 * forgotten, and warns when the members it sees serve something else (and once more when they all agree again).
 */
public final class ClusterModels {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterModels.class);
    static final String MAP = "specserve.cluster.models";

    private final Vertx vertx;
    private final String cluster;
    private final String node;
    private final String served;
    private final long ttlMs;
    private volatile Map<String, String> others = Map.of();

    private ClusterModels(Vertx vertx, String cluster, String node, JsonObject served, Duration every) {
        this.vertx = vertx;
        this.cluster = cluster;
        this.node = node;
        this.served = served.encode();
        this.ttlMs = every.toMillis() * 3;
    }

    /** What a replica serves, as members compare it: its model names, context length and vocabulary size. */
    public static JsonObject describe(java.util.List<String> names, int contextLength, int vocabularySize) {
        return new JsonObject().put("names", new JsonArray(names.stream().sorted().toList()))
                .put("context", contextLength).put("vocabulary", vocabularySize);
    }

    /**
     * Publishes what this node serves and compares it with the other members' now and every {@code every}; the
     * count of members serving something else is gauged in {@code registry}.
     */
    public static ClusterModels start(Vertx vertx, String cluster, String node, JsonObject served, Duration every,
                                      io.micrometer.core.instrument.MeterRegistry registry) {
        ClusterModels m = new ClusterModels(vertx, cluster, node, served, every);
        io.micrometer.core.instrument.Gauge.builder("specserve.cluster.members_serving_other_models", m,
                        models -> models.othersServing().size())
                .description("Cluster members that serve another model (names, context or vocabulary) than this "
                        + "replica, yet share its event-bus addresses")
                .register(registry);
        m.refresh();
        vertx.setPeriodic(every.toMillis(), id -> m.refresh());
        return m;
    }

    /** Members serving something other than this replica, by node id (what they serve, as JSON). */
    public Map<String, String> othersServing() {
        return others;
    }

    /** Publishes this node's entry, then compares; completes when done (failures are logged, never thrown). */
    public Future<Void> refresh() {
        return vertx.sharedData().<String, String>getAsyncMap(MAP)
                .compose(map -> map.put(node, served, ttlMs).compose(v -> map.entries()))
                .map(entries -> {
                    compare(entries);
                    return (Void) null;
                })
                .recover(e -> {
                    LOG.debug("cluster '{}': could not compare served models: {}", cluster, e.toString());
                    return Future.succeededFuture();
                });
    }

    private void compare(Map<String, String> entries) {
        Map<String, String> differ = new TreeMap<>();
        entries.forEach((member, what) -> {
            if (!member.equals(node) && !served.equals(what)) {
                differ.put(member, what);
            }
        });
        if (differ.equals(others)) {
            return;
        }
        if (!differ.isEmpty()) {
            LOG.warn("cluster '{}': member(s) {} serve another model than this replica ({}); members share "
                    + "specserve.generate, so requests naming a model get 404 on replicas that do not serve it and "
                    + "requests naming none get another model's text: give each model its own cluster_name",
                    cluster, differ, served);
        } else {
            LOG.info("cluster '{}': every member serves what this replica serves again", cluster);
        }
        others = Map.copyOf(differ);
    }
}
