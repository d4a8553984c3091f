package dev.specserve.controller.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import dev.specserve.controller.config.ServerConfig;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The clustered event bus: a Hazelcast cluster manager configured from the {@code cluster_*} settings, so that
 * Vert.x services in other JVMs reach {@code specserve.generate} as if it were local and replicas registering
 * the same addresses share the requests. Discovery is a TCP-IP member list (loopback by default) or multicast.
 * The cluster manager stays in this package; the rest of specserve sees a plain {@link Vertx}.
 */
public final class ClusterSupport {
    private ClusterSupport() {}

    /** A Hazelcast cluster manager for {@code cluster}: its name, bind interface, port and discovery. */
    public static HazelcastClusterManager clusterManager(ServerConfig.Cluster cluster) {
        Config hz = ConfigUtil.loadConfig(); // Vert.x's defaults: the maps and multimaps the event bus needs
        hz.setClusterName(cluster.name());
        hz.setProperty("hazelcast.logging.type", "slf4j");
        hz.setProperty("hazelcast.phone.home.enabled", "false");
        hz.setProperty("hazelcast.shutdownhook.enabled", "false"); // specserve's own shutdown closes Vert.x
        hz.setProperty("hazelcast.wait.seconds.before.join", "0");
        hz.setProperty("hazelcast.heartbeat.interval.seconds", "1");
        hz.setProperty("hazelcast.max.no.heartbeat.seconds", "10");
        // listen on cluster_host only: by default Hazelcast binds every interface whatever the member address is,
        // and any host that reaches the port joins with nothing but the cluster name
        hz.setProperty("hazelcast.socket.bind.any", "false");
        hz.getNetworkConfig().setPort(cluster.port()).setPortAutoIncrement(true);
        hz.getNetworkConfig().getInterfaces().setEnabled(true).setInterfaces(List.of(cluster.host()));
        hz.getNetworkConfig().setPublicAddress(null);
        JoinConfig join = hz.getNetworkConfig().getJoin();
        join.getAutoDetectionConfig().setEnabled(false);
        if (cluster.multicast()) {
            join.getMulticastConfig().setEnabled(true);
            join.getTcpIpConfig().setEnabled(false);
        } else {
            join.getMulticastConfig().setEnabled(false);
            join.getTcpIpConfig().setEnabled(true).setMembers(members(cluster.members()));
        }
        return new HazelcastClusterManager(hz);
    }

    static List<String> members(String list) {
        return Arrays.stream(list.split(",")).map(String::trim).filter(m -> !m.isEmpty()).toList();
    }

    /** Event-bus options binding the clustered bus to the cluster interface. */
    public static VertxOptions withEventBus(VertxOptions options, ServerConfig.Cluster cluster) {
        return options.setEventBusOptions(new EventBusOptions().setHost(cluster.host()).setPort(cluster.busPort())
                .setClusterPublicHost(cluster.host()));
    }

    /** Joins the cluster and returns the clustered Vert.x, or fails naming the setting to check. */
    public static Vertx join(VertxBuilder builder, ClusterManager manager, ServerConfig.Cluster cluster, Duration timeout) {
        try {
            return builder.withClusterManager(manager).buildClustered().toCompletionStage().toCompletableFuture()
                    .get(timeout.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while joining cluster '" + cluster.name() + "'", e);
        } catch (Exception e) {
            throw new IllegalStateException("could not join cluster '" + cluster.name() + "' on " + cluster.host() + ":"
                    + cluster.port() + " (members " + cluster.members() + "): " + e.getMessage()
                    + "; check cluster_host, cluster_port and cluster_members", e);
        }
    }
}
