package dev.specserve.telemetry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import kafka.tools.StorageTool;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded broker's settings (one node, KRaft combined, loopback listeners, small thread pools, bounded
 * retention) and its log directory's one-time format.
 */
final class EmbeddedBrokerConfig {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
    static final String HOST = "127.0.0.1";

    private EmbeddedBrokerConfig() {
    }

    static Properties properties(Path logDir, int brokerPort, int controllerPort, Map<String, String> overrides) {
        Map<String, String> p = new TreeMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@" + HOST + ":" + controllerPort);
        p.put("listeners", "PLAINTEXT://" + HOST + ":" + brokerPort + ",CONTROLLER://" + HOST + ":" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + brokerPort);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("log.dirs", logDir.toString());
        p.put("num.partitions", "1");
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("auto.create.topics.enable", "false");
        // bounded defaults for topics created without their own (an earlier release's): Kafka's keep 7 days, uncapped
        p.put("log.retention.hours", "72");
        p.put("log.retention.bytes", Long.toString(2L << 30));
        p.put("log.segment.bytes", Integer.toString(256 << 20));
        p.put("log.cleaner.dedupe.buffer.size", Long.toString(2L * 1024 * 1024));
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "2");
        p.put("background.threads", "2");
        p.put("num.recovery.threads.per.data.dir", "1");
        p.putAll(overrides);
        Properties props = new Properties();
        props.putAll(p);
        return props;
    }

    /** Formats {@code logDir} on first use (a new cluster id); returns the cluster id it holds. */
    static String formatIfNeeded(Path dataDir, Path logDir, Properties props) {
        Path meta = logDir.resolve("meta.properties");
        if (Files.exists(meta)) {
            try {
                Properties m = new Properties();
                try (var in = Files.newInputStream(meta)) {
                    m.load(in);
                }
                return m.getProperty("cluster.id", "?");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + meta, e);
            }
        }
        String clusterId = Uuid.randomUuid().toString();
        Path propsFile = dataDir.resolve("server.properties");
        try (OutputStream out = Files.newOutputStream(propsFile)) {
            props.store(out, "embedded Kafka (specserve telemetry)");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + propsFile, e);
        }
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int rc;
        try (PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            rc = StorageTool.execute(new String[]{"format", "-t", clusterId, "-c", propsFile.toString()}, out);
        } catch (RuntimeException e) {
            throw new IllegalStateException("formatting " + logDir + " failed: " + buf.toString(StandardCharsets.UTF_8), e);
        }
        if (rc != 0) {
            throw new IllegalStateException("formatting " + logDir + " failed (rc " + rc + "): "
                    + buf.toString(StandardCharsets.UTF_8));
        }
        LOG.info("Formatted embedded Kafka log dir {} (cluster {})", logDir, clusterId);
        return clusterId;
    }
}
