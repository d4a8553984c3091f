package dev.specserve.telemetry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker (KRaft, combined broker + controller) running inside this JVM: the
 * run-time default when no external Kafka is configured, and the broker of the tests.
 *
 * <p>The log directory lives under the given data directory and is formatted on first start; later
 * starts reuse it, so records survive {@link #stop()} / {@link #start()} and {@link #restart()}. Ports
 * are chosen free on loopback at the first start (or given explicitly) and kept for the object's
 * lifetime, so clients reconnect to the same address after a restart. Start-up takes 3–6 s.
 *
 * <p>While a broker runs, Kafka's {@code Exit.exit/halt} are redirected to an exception so that a
 * fatal broker error cannot terminate the serving process.
 */
public final class EmbeddedKafka implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);
    private static final String HOST = EmbeddedBrokerConfig.HOST;

    private final Path dataDir;
    private final Map<String, String> overrides;
    private int brokerPort;
    private int controllerPort;
    private KafkaRaftServer server;
    private Thread shutdownHook;
    private DataDirLock lock;
    /** A stop that timed out left the broker running: it keeps the lock, and this instance never starts again. */
    private boolean abandoned;
    private static final long STOP_TIMEOUT_S = 15;
    private boolean ownShutdownHook = true;
    private final KafkaExitGuard exitGuard = new KafkaExitGuard();

    /** A broker with data under {@code dataDir} on free ports. */
    public EmbeddedKafka(Path dataDir) {
        this(dataDir, 0, 0, Map.of());
    }

    /**
     * @param dataDir        directory that holds the broker's log dir (created if needed)
     * @param brokerPort     client port, 0 for a free one
     * @param controllerPort KRaft controller port, 0 for a free one
     * @param overrides      broker properties that override the defaults (e.g. {@code log.retention.hours})
     */
    public EmbeddedKafka(Path dataDir, int brokerPort, int controllerPort, Map<String, String> overrides) {
        this.dataDir = dataDir.toAbsolutePath();
        this.brokerPort = brokerPort;
        this.controllerPort = controllerPort;
        this.overrides = Map.copyOf(overrides);
    }

    /** Creates and starts a broker under {@code dataDir}, with its own JVM shutdown hook. */
    public static EmbeddedKafka startIn(Path dataDir) {
        return startIn(dataDir, true);
    }

    /**
     * Creates and starts a broker under {@code dataDir}. {@code ownShutdownHook} false: the owner stops it
     * ({@link #stop()}) from its own shutdown sequence, after closing its Kafka clients. A hook of the broker's
     * own would race that sequence (the broker going first leaves the clients retrying a dead broker: a flood
     * of NetworkClient warnings, a slow stop and lost feedback).
     */
    public static EmbeddedKafka startIn(Path dataDir, boolean ownShutdownHook) {
        EmbeddedKafka kafka = new EmbeddedKafka(dataDir);
        kafka.ownShutdownHook = ownShutdownHook;
        kafka.start();
        return kafka;
    }

    /**
     * Starts the broker (formatting the log dir on first use) and waits until it serves clients.
     *
     * @return the bootstrap servers string
     * @throws IllegalStateException if the broker cannot start
     */
    public synchronized String start() {
        if (server != null) {
            return bootstrapServers();
        }
        if (abandoned) {
            throw new IllegalStateException("embedded Kafka in " + dataDir + " did not stop; it cannot start again in "
                    + "this process");
        }
        long t0 = System.nanoTime();
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dataDir, e);
        }
        lock = DataDirLock.take(dataDir);
        try {
            return startLocked(t0);
        } catch (RuntimeException e) {
            if (server == null && lock != null) { // stop() let go of it if the broker had started
                lock.close();
                lock = null;
            }
            throw e;
        }
    }

    private String startLocked(long t0) {
        reservePorts();
        Properties props = EmbeddedBrokerConfig.properties(logDir(), brokerPort, controllerPort, overrides);
        String clusterId = EmbeddedBrokerConfig.formatIfNeeded(dataDir, logDir(), props);
        exitGuard.install();
        RuntimeException last = null;
        for (int attempt = 1; attempt <= 10; attempt++) {
            KafkaRaftServer s = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
            try {
                s.startup();
                server = s;
                break;
            } catch (RuntimeException e) {
                last = e;
                shutdownQuietly(s);
                if (!isBindFailure(e) || attempt == 10) {
                    break;
                }
                log.info("Embedded Kafka port still in use, retrying start ({}/10)", attempt);
                sleep(500);
            }
        }
        if (server == null) {
            exitGuard.remove();
            throw new IllegalStateException("embedded Kafka failed to start in " + dataDir + ": " + rootCause(last), last);
        }
        try {
            awaitReady(Duration.ofSeconds(30));
        } catch (RuntimeException e) {
            stop();
            throw new IllegalStateException("embedded Kafka started but does not serve clients", e);
        }
        if (ownShutdownHook) {
            shutdownHook = new Thread(this::stopFromHook, "embedded-kafka-shutdown");
            Runtime.getRuntime().addShutdownHook(shutdownHook);
        }
        log.info("Embedded Kafka started at {} (cluster {}, data {}) in {} ms", bootstrapServers(), clusterId,
                logDir(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        return bootstrapServers();
    }

    /** Stops the broker cleanly (controlled shutdown, logs flushed). No-op when not running. */
    public synchronized void stop() {
        if (server == null) {
            return;
        }
        long t0 = System.nanoTime();
        KafkaRaftServer s = server;
        server = null;
        if (!shutdownQuietly(s)) {
            // still running: its directory stays locked and its exit requests stay ignored until the process exits
            abandoned = true;
            return;
        }
        exitGuard.remove();
        if (shutdownHook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // JVM already shutting down
            }
            shutdownHook = null;
        }
        if (lock != null) {
            lock.close();
            lock = null;
        }
        log.info("Embedded Kafka at {} stopped in {} ms", bootstrapServers(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    /** Stops and starts again on the same ports and data directory. */
    public synchronized String restart() {
        stop();
        return start();
    }

    /**
     * {@code 127.0.0.1:port}. Known before the first start: asking reserves the ports, so clients can be
     * configured before the broker exists.
     */
    public synchronized String bootstrapServers() {
        reservePorts();
        return HOST + ":" + brokerPort;
    }

    public synchronized boolean isRunning() {
        return server != null;
    }

    public synchronized int port() {
        reservePorts();
        return brokerPort;
    }

    public Path dataDir() {
        return dataDir;
    }

    public Path logDir() {
        return dataDir.resolve("kraft-combined-logs");
    }

    @Override
    public void close() {
        stop();
    }

    // ---------------------------------------------------------------------------------- internals

    private void awaitReady(Duration timeout) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, "embedded-kafka-readiness");
        try (Admin admin = Admin.create(p)) {
            int nodes = admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeout.toMillis()))
                    .nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS).size();
            if (nodes < 1) {
                throw new IllegalStateException("no broker in cluster");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (Exception e) {
            throw new IllegalStateException("broker not ready within " + timeout, e);
        }
    }

    private void reservePorts() {
        if (brokerPort == 0) {
            brokerPort = freePort();
        }
        if (controllerPort == 0) {
            do {
                controllerPort = freePort();
            } while (controllerPort == brokerPort);
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port", e);
        }
    }

    private void stopFromHook() {
        try {
            synchronized (this) {
                if (server != null) {
                    log.info("JVM shutdown: stopping embedded Kafka at {}", bootstrapServers());
                    KafkaRaftServer s = server;
                    server = null;
                    shutdownQuietly(s);
                }
            }
        } catch (RuntimeException e) {
            // best effort during JVM shutdown
        }
    }

    /**
     * Shuts the broker down, waiting at most {@value #STOP_TIMEOUT_S} s: a broker whose log directory failed (a full
     * disk) waited 5 minutes for its own controller to approve the shutdown, and then for ever.
     */
    private static boolean shutdownQuietly(KafkaRaftServer s) {
        Thread stopping = new Thread(() -> {
            try {
                s.shutdown();
                s.awaitShutdown();
            } catch (RuntimeException e) {
                log.warn("Error shutting down embedded Kafka: {}", e.toString());
            }
        }, "embedded-kafka-stop");
        stopping.setDaemon(true);
        stopping.start();
        try {
            stopping.join(TimeUnit.SECONDS.toMillis(STOP_TIMEOUT_S));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (stopping.isAlive()) {
            log.error("Embedded Kafka did not stop within {} s (its log directory failed, or it lost its controller): "
                    + "left to the process exit; the next start recovers its logs", STOP_TIMEOUT_S);
            return false;
        }
        return true;
    }

    private static String rootCause(Throwable e) {
        Throwable t = e;
        while (t != null && t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t == null ? "unknown cause" : t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    private static boolean isBindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException || String.valueOf(t.getMessage()).contains("Address already in use")) {
                return true;
            }
        }
        return false;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
