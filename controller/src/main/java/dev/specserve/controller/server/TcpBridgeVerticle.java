package dev.specserve.controller.server;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.net.NetServerOptions;
import io.vertx.ext.bridge.BridgeOptions;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.eventbus.bridge.tcp.TcpEventBusBridge;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exposes the event-bus API to non-JVM clients over TCP (Vert.x TCP event-bus bridge: frames of a 4-byte
 * big-endian length followed by UTF-8 JSON {@code {type, address, replyAddress?, body, headers?}}).
 *
 * <p>Permissions: inbound (client to server) only {@value EventBusApiVerticle#GENERATE},
 * {@value EventBusApiVerticle#GENERATE_STREAM}, {@code specserve.stream.<id>.control} and
 * {@value EventBusAdminVerticle#ADDRESS} (which checks the admin token itself); outbound (what a client
 * may register for) only {@code specserve.stream.<id>}. Replies to the client's requests pass as usual. Anything
 * else is answered with {@code {"type":"err","message":"access_denied"}}.
 */
public final class TcpBridgeVerticle extends VerticleBase {
    private static final Logger LOG = LoggerFactory.getLogger(TcpBridgeVerticle.class);
    private static final String STREAM = Pattern.quote(EventBusApiVerticle.STREAM_PREFIX) + "[A-Za-z0-9_-]+";

    private final String host;
    private final int port;
    private TcpEventBusBridge bridge;

    TcpBridgeVerticle(String host, int port) {
        this.host = host;
        this.port = port;
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
        bridge = TcpEventBusBridge.create(vertx, permissions(), new NetServerOptions().setHost(host).setPort(port));
        return bridge.listen(port, host).onSuccess(b -> LOG.info("TCP event-bus bridge listening on {}:{}", host, port));
    }

    @Override
    public Future<?> stop() {
        return bridge == null ? Future.succeededFuture() : bridge.close();
    }
}
