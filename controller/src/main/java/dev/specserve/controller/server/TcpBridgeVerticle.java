package dev.specserve.controller.server;

import dev.specserve.controller.config.ServerConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.ext.bridge.BridgeOptions;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.eventbus.bridge.tcp.impl.TcpEventBusBridgeImpl;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exposes the event-bus API to non-JVM clients over TCP (Vert.x TCP event-bus bridge: frames of a 4-byte
 * big-endian length followed by UTF-8 JSON {@code {type, address, replyAddress?, body, headers?}}).
 *
 * <p>Permissions: inbound (client to server) only {@value EventBusApiVerticle#GENERATE},
 * {@value EventBusApiVerticle#GENERATE_STREAM}, {@code specserve.stream.<capability>.control} and
 * {@value EventBusAdminVerticle#ADDRESS} (which checks the admin token itself); outbound (what a client
 * may register for) only {@code specserve.stream.<capability>}. Replies to the client's requests pass as usual.
 * On top of those patterns, a stream's address and control address are usable only by the connection that
 * opened the stream ({@link StreamOwnership}); a connection that closes cancels every request it started.
 * Addresses outside the patterns are answered with {@code {"type":"err","message":"access_denied"}}; a stream
 * address of another connection (or of no stream at all: the two are not told apart) with {@value #BLOCKED}
 * ({@link BridgeAccess}).
 *
 * <p>Frames longer than {@code bridge_max_frame_bytes} close the connection (after an
 * {@code {"type":"err","message":"frame_too_large"}} frame) and are counted ({@link BridgeRefusals}): the
 * Vert.x bridge itself buffers a frame of any announced length. The limit is enforced on the raw bytes, before
 * the bridge parses anything, by {@link FrameLimitingSocket}.
 */
public final class TcpBridgeVerticle extends VerticleBase {
    private static final Logger LOG = LoggerFactory.getLogger(TcpBridgeVerticle.class);
    private static final String CAPABILITY = "[A-Za-z0-9_-]{" + StreamOwnership.CAPABILITY_CHARS + "}";
    private static final String STREAM = Pattern.quote(EventBusApiVerticle.STREAM_PREFIX) + CAPABILITY;
    /** The bridge's answer to a frame the event handler refuses. */
    public static final String BLOCKED = "blocked by bridgeEvent handler";
    /** How long a frame may take to arrive whole, from its first byte. */
    static final long FRAME_DEADLINE_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
    /** How many of the largest frames the partial frames of all connections may take together. */
    static final int BUDGET_FRAMES = 64;
    /** How long after a stream's end its consumer is dropped (its last message is queued to it by then). */
    private static final long DROP_DELAY_MS = 200;

    private final String host;
    private final int port;
    private final ServerConfig.Security security;
    private final StreamOwnership ownership;
    private final BridgeAccess access;
    private final BridgeRefusals refusals;
    private final AtomicLong budget;
    private final long frameDeadlineNanos;
    /** Open connections and their contexts, swept each second for frames past their deadline. */
    private final java.util.Map<FrameLimitingSocket, io.vertx.core.Context> open = new java.util.concurrent.ConcurrentHashMap<>();
    private NetServer server;
    private long sweep = -1;

    /**
     * @param security its {@code api_key}s (when any, a generation needs one in its Authorization header), TLS
     *                 certificate, largest frame and idle timeout (HTTP's, applied here too)
     */
    TcpBridgeVerticle(String host, int port, ServerConfig.Security security, StreamOwnership ownership,
                      MeterRegistry registry) {
        this(host, port, security, ownership, registry, FRAME_DEADLINE_NANOS);
    }

    TcpBridgeVerticle(String host, int port, ServerConfig.Security security, StreamOwnership ownership,
                      MeterRegistry registry, long frameDeadlineNanos) {
        this.frameDeadlineNanos = frameDeadlineNanos;
        this.host = host;
        this.port = port;
        this.security = security;
        this.ownership = ownership;
        this.access = new BridgeAccess(ownership, new ApiKeys(security.apiKeys()), registry);
        this.refusals = new BridgeRefusals(registry);
        this.budget = new AtomicLong((long) BUDGET_FRAMES * security.bridgeMaxFrameBytes());
    }

    /** The bridge's address permissions. */
    public static BridgeOptions permissions() {
        return new BridgeOptions()
                .addInboundPermitted(new PermittedOptions().setAddress(EventBusApiVerticle.GENERATE))
                .addInboundPermitted(new PermittedOptions().setAddress(EventBusApiVerticle.GENERATE_STREAM))
                .addInboundPermitted(new PermittedOptions().setAddress(EventBusAdminVerticle.ADDRESS))
                .addInboundPermitted(new PermittedOptions().setAddressRegex(
                        STREAM + Pattern.quote(EventBusApiVerticle.CONTROL_SUFFIX)))
                .addOutboundPermitted(new PermittedOptions().setAddressRegex(STREAM));
    }

    @Override
    public Future<?> start() {
        // The bridge implementation creates its own NetServer, which is never listened on: connections are
        // accepted here, wrapped so that frame lengths are checked before the bridge buffers them, then handed to
        // the bridge's per-connection handler (private in vertx-tcp-eventbus-bridge 5.0.x, hence reflection;
        // TcpBridgeTest fails loudly if an upgrade moves it).
        TcpEventBusBridgeImpl bridge = new TcpEventBusBridgeImpl(vertx, permissions(), new NetServerOptions(), access::onEvent);
        Method connect;
        try {
            connect = TcpEventBusBridgeImpl.class.getDeclaredMethod("handler", NetSocket.class);
            connect.setAccessible(true);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return Future.failedFuture(new IllegalStateException(
                    "this vertx-tcp-eventbus-bridge has no per-connection handler to wrap: " + e, e));
        }
        NetServerOptions options = new NetServerOptions().setHost(host).setPort(port)
                .setIdleTimeout(security.httpIdleTimeoutS()).setIdleTimeoutUnit(java.util.concurrent.TimeUnit.SECONDS);
        if (security.tls()) {
            options.setSsl(true).setKeyCertOptions(Tls.keyCert(vertx, security));
        }
        server = vertx.createNetServer(options);
        server.connectHandler(raw -> {
            FrameLimitingSocket socket = new FrameLimitingSocket(raw, StreamOwnership.newConnectionId(),
                    new BridgeFrameReader(security.bridgeMaxFrameBytes(), frameDeadlineNanos, budget), refusals::refused);
            io.vertx.core.Context context = vertx.getOrCreateContext(); // the connection's
            open.put(socket, context);
            // once a stream has ended (its last message already queued to the consumer), its consumer goes
            ownership.connectionOpened(socket.connectionId(), capability -> context.runOnContext(v -> vertx.setTimer(
                    DROP_DELAY_MS, t -> socket.dropRegistration(EventBusApiVerticle.STREAM_PREFIX + capability))));
            raw.closeHandler(v -> {
                open.remove(socket);
                ownership.connectionClosed(socket.connectionId());
                socket.closed();
            });
            try {
                connect.invoke(bridge, socket);
            } catch (IllegalAccessException | InvocationTargetException e) {
                LOG.error("cannot hand a connection to the TCP bridge", e);
                raw.close();
            }
        });
        long every = Math.max(1, Math.min(1000, frameDeadlineNanos / 4_000_000));
        sweep = vertx.setPeriodic(every, t -> open.forEach((socket, context) -> context.runOnContext(v -> socket.expireFrame())));
        return server.listen().onSuccess(s -> LOG.info("TCP event-bus bridge listening on {}:{} ({}frames up to {} bytes)",
                host, s.actualPort(), security.tls() ? "TLS, " : "", security.bridgeMaxFrameBytes()));
    }

    /** The open connections (for tests). */
    java.util.Set<FrameLimitingSocket> connections() {
        return java.util.Set.copyOf(open.keySet());
    }

    @Override
    public Future<?> stop() {
        vertx.cancelTimer(sweep);
        return server == null ? Future.succeededFuture() : server.close();
    }
}
