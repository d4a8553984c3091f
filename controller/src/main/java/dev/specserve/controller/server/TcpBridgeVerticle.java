package dev.specserve.controller.server;

import dev.specserve.controller.config.ServerConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.ext.bridge.BridgeOptions;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.eventbus.bridge.tcp.BridgeEvent;
import io.vertx.ext.eventbus.bridge.tcp.impl.TcpEventBusBridgeImpl;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
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
 * address of another connection (or of no stream at all: the two are not told apart) with
 * {@code {"type":"err","message":"blocked by bridgeEvent handler"}}.
 *
 * <p>Frames longer than {@code bridge_max_frame_bytes} close the connection (after an
 * {@code {"type":"err","message":"frame_too_large"}} frame) and are counted in {@value #OVERSIZED}: the
 * Vert.x bridge itself buffers a frame of any announced length. The limit is enforced on the raw bytes, before
 * the bridge parses anything, by {@link FrameLimitingSocket}.
 */
public final class TcpBridgeVerticle extends VerticleBase {
    private static final Logger LOG = LoggerFactory.getLogger(TcpBridgeVerticle.class);
    /** Rendered by Prometheus as {@code specserve_bridge_frames_oversized_total}. */
    public static final String OVERSIZED = "specserve.bridge.frames_oversized";
    /** Rendered by Prometheus as {@code specserve_bridge_frames_invalid_total}. */
    public static final String INVALID = "specserve.bridge.frames_invalid";
    private static final String CAPABILITY = "[A-Za-z0-9_-]{" + StreamOwnership.CAPABILITY_CHARS + "}";
    private static final String STREAM = Pattern.quote(EventBusApiVerticle.STREAM_PREFIX) + CAPABILITY;
    /** The bridge's answer to a frame the event handler refuses. */
    public static final String BLOCKED = "blocked by bridgeEvent handler";

    /** Rendered by Prometheus as {@code specserve_bridge_frames_timed_out_total}. */
    public static final String TIMED_OUT = "specserve.bridge.frames_timed_out";
    /** Rendered by Prometheus as {@code specserve_bridge_frames_refused_total}. */
    public static final String REFUSED = "specserve.bridge.frames_refused";
    /** Rendered by Prometheus as {@code specserve_bridge_frames_over_budget_total}. */
    public static final String OVER_BUDGET = "specserve.bridge.frames_over_budget";
    /** How long a frame may take to arrive whole, from its first byte. */
    static final long FRAME_DEADLINE_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
    /** How many of the largest frames the partial frames of all connections may take together. */
    static final int BUDGET_FRAMES = 64;

    private final String host;
    private final int port;
    private final ServerConfig.Security security;
    private final StreamOwnership ownership;
    private final java.util.Map<BridgeFrameReader.Refusal, Counter> refusals = new java.util.EnumMap<>(
            BridgeFrameReader.Refusal.class);
    private final ApiKeys apiKeys;
    private final Counter unauthorised;
    private final java.util.concurrent.atomic.AtomicLong budget;
    private NetServer server;

    /**
     * @param security its {@code api_key}s (when any, a generation needs one in its Authorization header), TLS
     *                 certificate, largest frame and idle timeout (HTTP's, applied here too)
     */
    TcpBridgeVerticle(String host, int port, ServerConfig.Security security, StreamOwnership ownership,
                      MeterRegistry registry) {
        this.host = host;
        this.port = port;
        this.security = security;
        this.ownership = ownership;
        this.apiKeys = new ApiKeys(security.apiKeys());
        this.budget = new java.util.concurrent.atomic.AtomicLong((long) BUDGET_FRAMES * security.bridgeMaxFrameBytes());
        this.unauthorised = Counter.builder("specserve.bridge.generations_unauthorised")
                .description("TCP-bridge generation requests refused for a missing or wrong API key").register(registry);
        refusals.put(BridgeFrameReader.Refusal.frame_too_large, Counter.builder(OVERSIZED)
                .description("TCP-bridge connections closed for a frame over bridge_max_frame_bytes").register(registry));
        refusals.put(BridgeFrameReader.Refusal.invalid_frame, Counter.builder(INVALID)
                .description("TCP-bridge connections closed for a frame the bridge could not parse").register(registry));
        refusals.put(BridgeFrameReader.Refusal.frame_timeout, Counter.builder(TIMED_OUT)
                .description("TCP-bridge connections closed for a frame that did not arrive whole within 30 s")
                .register(registry));
        refusals.put(BridgeFrameReader.Refusal.invalid_headers, Counter.builder(REFUSED)
                .description("TCP-bridge frames refused on their own (no address, headers the bridge cannot read); "
                        + "the connection goes on").register(registry));
        refusals.put(BridgeFrameReader.Refusal.server_busy, Counter.builder(OVER_BUDGET)
                .description("TCP-bridge connections closed because the partial frames of all connections filled "
                        + "their buffer (64 x bridge_max_frame_bytes)").register(registry));
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
        TcpEventBusBridgeImpl bridge = new TcpEventBusBridgeImpl(vertx, permissions(), new NetServerOptions(), this::onEvent);
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
            options.setSsl(true).setKeyCertOptions(Tls.keyCert(security));
        }
        server = vertx.createNetServer(options);
        server.connectHandler(raw -> {
            FrameLimitingSocket socket = new FrameLimitingSocket(raw, StreamOwnership.newConnectionId(),
                    new BridgeFrameReader(security.bridgeMaxFrameBytes(), FRAME_DEADLINE_NANOS, budget), this::onRefused);
            io.vertx.core.Context context = vertx.getOrCreateContext(); // the connection's
            // once a stream has ended (its last message already queued to the consumer), its consumer goes
            ownership.connectionOpened(socket.connectionId(), capability -> context.runOnContext(v -> vertx.setTimer(
                    DROP_DELAY_MS, t -> socket.dropRegistration(EventBusApiVerticle.STREAM_PREFIX + capability))));
            raw.closeHandler(v -> {
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
        return server.listen().onSuccess(s -> LOG.info("TCP event-bus bridge listening on {}:{} ({}frames up to {} bytes)",
                host, s.actualPort(), security.tls() ? "TLS, " : "", security.bridgeMaxFrameBytes()));
    }

    /** Counts a frame refused, or a connection closed for its bytes; one log line per reason and minute at most. */
    private void onRefused(FrameLimitingSocket socket, BridgeFrameReader.Refusal why) {
        refusals.get(why).increment();
        long now = System.nanoTime();
        Long last = lastLogged.get(why);
        if (last == null || now - last > 60_000_000_000L) {
            lastLogged.put(why, now);
            LOG.warn("TCP bridge client {}: {} ({}); counted in /metrics, logged at most once a minute per reason",
                    socket.remoteAddress(), why == BridgeFrameReader.Refusal.invalid_headers ? "frame refused"
                            : "connection closed", why);
        }
    }

    private static final long DROP_DELAY_MS = 200;
    private final java.util.Map<BridgeFrameReader.Refusal, Long> lastLogged = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Per-connection checks the address patterns cannot express: a stream and its control address belong to the
     * connection that opened the stream; requests are stamped with their connection (a client cannot forge it).
     */
    private void onEvent(BridgeEvent event) {
        String connection = event.socket() instanceof FrameLimitingSocket s ? s.connectionId() : null;
        JsonObject raw = event.getRawMessage();
        boolean allowed;
        try {
            allowed = switch (event.type()) {
                case SEND, PUBLISH -> checkSend(connection, raw);
                case REGISTER -> {
                    String address = raw.getString("address");
                    yield !isStream(address) || ownership.registerOnce(connection, capabilityOf(address))
                            || denied(connection, ownership.owns(connection, capabilityOf(address))
                                    ? "register a second consumer on its stream" : "register on a stream it did not open");
                }
                case UNREGISTER -> {
                    String address = raw.getString("address");
                    if (isStream(address)) {
                        ownership.unregistered(capabilityOf(address));
                    }
                    yield true;
                }
                default -> true;
            };
        } catch (ClassCastException e) {
            allowed = denied(connection, "send a malformed frame: " + e.getMessage());
        }
        // the frame object is what the bridge goes on to use, so the header edits above take effect; a refusal
        // makes the bridge answer with an err frame
        event.complete(allowed);
    }

    /** Replaces any connection header the client sent; stamps requests with theirs; checks control addresses. */
    private boolean checkSend(String connection, JsonObject raw) {
        Object h = raw.getValue("headers");
        JsonObject headers = h == null ? new JsonObject() : (JsonObject) h;
        headers.fieldNames().removeIf(n -> n.equalsIgnoreCase(StreamOwnership.CONNECTION_HEADER));
        String address = raw.getString("address");
        if (EventBusApiVerticle.GENERATE.equals(address) || EventBusApiVerticle.GENERATE_STREAM.equals(address)) {
            if (!"send".equals(raw.getString("type")) || raw.getString("replyAddress") == null) {
                return denied(connection, "start a generation whose answer nobody receives (publish, or no replyAddress)");
            }
            String authorization = null;
            for (String name : java.util.List.copyOf(headers.fieldNames())) {
                if (name.equalsIgnoreCase("Authorization")) {
                    authorization = headers.remove(name) instanceof String a ? a : null; // the key goes no further
                }
            }
            if (!apiKeys.none() && !apiKeys.accept(authorization)) {
                unauthorised.increment();
                return denied(connection, "start a generation without a valid API key (headers.Authorization: Bearer <key>)");
            }
            headers.put(StreamOwnership.CONNECTION_HEADER, connection);
            // served by this replica: on a clustered bus another one would not know the connection (its
            // ownership of streams and its close are tracked here) and would cancel the request at once
            headers.put("localOnly", true);
        }
        raw.put("headers", headers);
        if (address != null && address.endsWith(EventBusApiVerticle.CONTROL_SUFFIX)) {
            String stream = address.substring(0, address.length() - EventBusApiVerticle.CONTROL_SUFFIX.length());
            if (isStream(stream) && !ownership.owns(connection, capabilityOf(stream))) {
                return denied(connection, "control a stream it did not open");
            }
        }
        return true;
    }

    private static boolean denied(String connection, String what) {
        LOG.info("TCP bridge connection {} tried to {}; refused", connection, what);
        return false;
    }

    private static boolean isStream(String address) {
        return address != null && address.startsWith(EventBusApiVerticle.STREAM_PREFIX);
    }

    private static String capabilityOf(String streamAddress) {
        return streamAddress.substring(EventBusApiVerticle.STREAM_PREFIX.length());
    }

    @Override
    public Future<?> stop() {
        return server == null ? Future.succeededFuture() : server.close();
    }
}
