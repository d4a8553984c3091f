package dev.specserve.controller.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.eventbus.bridge.tcp.BridgeEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TCP bridge's per-connection checks that its address patterns cannot express: a stream and its control
 * address belong to the connection that opened the stream, a generation needs a reply address (and an API key
 * when any is set), and requests are stamped with their connection, which a client cannot forge. A refused frame
 * is answered by the bridge with {@code {"type":"err","message":"blocked by bridgeEvent handler"}}; a generation
 * refused for its API key is first answered at its reply address with failure code 401.
 */
final class BridgeAccess {
    private static final Logger LOG = LoggerFactory.getLogger(BridgeAccess.class);

    private final StreamOwnership ownership;
    private final ApiKeys apiKeys;
    private static final long LOG_EVERY_NANOS = java.util.concurrent.TimeUnit.MINUTES.toNanos(1);

    private final Counter unauthorised;
    private final Counter denials;
    private final java.util.concurrent.atomic.AtomicLong nextLog = new java.util.concurrent.atomic.AtomicLong(System.nanoTime());

    BridgeAccess(StreamOwnership ownership, ApiKeys apiKeys, MeterRegistry registry) {
        this.ownership = ownership;
        this.apiKeys = apiKeys;
        this.unauthorised = Counter.builder("specserve.bridge.generations_unauthorised")
                .description("TCP-bridge generation requests refused for a missing or wrong API key").register(registry);
        this.denials = Counter.builder("specserve.bridge.frames_denied")
                .description("TCP-bridge frames refused by the access checks (a stream not the connection's, no reply "
                        + "address, no valid API key, a malformed frame)").register(registry);
    }

    /** Allows or refuses the frame; the frame object is what the bridge goes on to use, so header edits take effect. */
    void onEvent(BridgeEvent event) {
        String connection = event.socket() instanceof FrameLimitingSocket s ? s.connectionId() : null;
        JsonObject raw = event.getRawMessage();
        boolean allowed;
        try {
            allowed = switch (event.type()) {
                case SEND, PUBLISH -> checkSend(connection, raw, event);
                case REGISTER -> {
                    String address = raw.getString("address");
                    boolean ok = !isStream(address) || ownership.registerOnce(connection, capabilityOf(address))
                            || denied(connection, ownership.owns(connection, capabilityOf(address))
                                    ? "register a second consumer on its stream" : "register on a stream it did not open");
                    if (ok && isStream(address) && event.socket() instanceof FrameLimitingSocket s) {
                        // only now, and only a stream's (the bridge refuses others after this hook): a refused
                        // registration must leave nothing behind
                        s.registered(address);
                    }
                    yield ok;
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
        event.complete(allowed);
    }

    /** Replaces any connection header the client sent; stamps requests with theirs; checks control addresses. */
    private boolean checkSend(String connection, JsonObject raw, BridgeEvent event) {
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
                unauthorisedReply(event, raw, authorization);
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

    /**
     * A refused key is also answered at the request's reply address (failure code 401, the error as the HTTP API's),
     * so a client with several requests in flight knows which one failed, and why; the bridge's own refusal frame
     * follows it.
     */
    private static void unauthorisedReply(BridgeEvent event, JsonObject raw, String authorization) {
        ApiError e = new ApiError(401, authorization == null ? "an API key is required: headers.Authorization: "
                + "Bearer <key>" : "incorrect API key provided", "authentication_error", null);
        io.vertx.ext.eventbus.bridge.tcp.impl.protocol.FrameHelper.writeFrame(new JsonObject().put("type", "err")
                .put("address", raw.getString("replyAddress")).put("sourceAddress", raw.getString("address"))
                .put("failureCode", e.status()).put("failureType", "RECIPIENT_FAILURE")
                .put("message", e.toJson().encode()), event.socket());
    }

    /** Counts a refusal, and logs it at most once a minute: a client can send refused frames as fast as TCP goes. */
    private boolean denied(String connection, String what) {
        denials.increment();
        long now = System.nanoTime();
        long next = nextLog.get();
        if (now - next >= 0 && nextLog.compareAndSet(next, now + LOG_EVERY_NANOS)) {
            LOG.info("TCP bridge connection {} tried to {}; refused (specserve_bridge_frames_denied_total counts "
                    + "every refusal; logged at most once a minute)", connection, what);
        } else {
            LOG.debug("TCP bridge connection {} tried to {}; refused", connection, what);
        }
        return false;
    }

    private static boolean isStream(String address) {
        return address != null && address.startsWith(EventBusApiVerticle.STREAM_PREFIX);
    }

    private static String capabilityOf(String streamAddress) {
        return streamAddress.substring(EventBusApiVerticle.STREAM_PREFIX.length());
    }
}
