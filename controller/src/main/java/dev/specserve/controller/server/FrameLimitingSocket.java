package dev.specserve.controller.server;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SSLOptions;
import io.vertx.core.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * A bridge connection's socket as the TCP bridge sees it: the bridge gets only whole frames whose body is a JSON
 * object ({@link BridgeFrameReader} cuts them and bounds what a client can make the server hold), so a client
 * can neither make the bridge buffer a frame of any announced length nor send it bytes its parser would log an
 * error for and answer nothing. A connection whose bytes cannot be framed is closed after an {@code err} frame
 * naming why. A frame the bridge cannot act on (headers it would throw on) is answered with an {@code err} frame
 * and the connection goes on. A stream's bridge consumer is removed once the stream has ended
 * ({@link #dropRegistration}), so a long-lived connection does not collect one per stream. Also carries the
 * random id {@link StreamOwnership} knows the connection by.
 */
final class FrameLimitingSocket implements NetSocket {
    private static final Logger LOG = LoggerFactory.getLogger(FrameLimitingSocket.class);
    private final NetSocket delegate;
    private final String connectionId;
    private final BridgeFrameReader reader;
    private final BiConsumer<FrameLimitingSocket, BridgeFrameReader.Refusal> onRefused;
    private Handler<Void> closeHandler;
    private Handler<Buffer> bridge;
    private final BridgeFrameReader.Sink sink = new BridgeFrameReader.Sink() {
        @Override
        public void frame(Buffer whole, JsonObject body) {
            pass(whole, body);
        }

        @Override
        public void refuse(BridgeFrameReader.Refusal why, String detail) {
            LOG.debug("TCP bridge client {}: {} ({})", remoteAddress(), why, detail);
            onRefused.accept(FrameLimitingSocket.this, why);
            closeWith(why.name());
        }
    };
    /**
     * Addresses the client has a bridge consumer on, and the latest {@value #DROPPED_KEPT} the server removed for it
     * after their stream ended (a client that never unregisters them must not grow the set per stream).
     */
    private final Set<String> registered = new HashSet<>();
    private final java.util.LinkedHashSet<String> dropped = new java.util.LinkedHashSet<>();
    static final int DROPPED_KEPT = 256;

    FrameLimitingSocket(NetSocket delegate, String connectionId, BridgeFrameReader reader,
                        BiConsumer<FrameLimitingSocket, BridgeFrameReader.Refusal> onRefused) {
        this.delegate = delegate;
        this.connectionId = connectionId;
        this.reader = reader;
        this.onRefused = onRefused;
    }

    String connectionId() {
        return connectionId;
    }

    /** Called once the underlying socket has closed. */
    void closed() {
        reader.release();
        Handler<Void> h = closeHandler;
        if (h != null) {
            h.handle(null);
        }
    }

    @Override
    public NetSocket handler(Handler<Buffer> handler) {
        this.bridge = handler;
        delegate.handler(handler == null ? null : buffer -> reader.feed(buffer, sink));
        return this;
    }

    /** Refuses and closes the connection if its partial frame is past the deadline. Call on the connection's context. */
    void expireFrame() {
        reader.expire(sink);
    }

    /**
     * Removes the client's bridge consumer on a stream's {@code address} once the stream has ended, as the client's
     * own {@code unregister} would (which is then accepted silently). Call on the connection's context.
     */
    void dropRegistration(String address) {
        if (bridge != null && registered.remove(address)) {
            dropped.add(address);
            if (dropped.size() > DROPPED_KEPT) {
                dropped.remove(dropped.iterator().next());
            }
            bridge.handle(frame(new JsonObject().put("type", "unregister").put("address", address)));
        }
    }

    /** How many bridge consumers the connection holds (for tests). */
    int registrations() {
        return registered.size();
    }

    /** A registration the bridge allowed (a refused one is not kept: a client could send them without end). */
    void registered(String address) {
        registered.add(address);
    }

    /** The frame types the bridge acts on; any other is refused with an err frame, and the connection goes on. */
    private static final java.util.List<String> KNOWN_TYPES = java.util.List.of("send", "publish", "register",
            "unregister", "ping");

    private void pass(Buffer whole, JsonObject body) {
        String type = body.getValue("type") instanceof String t ? t : null;
        String address = body.getValue("address") instanceof String a ? a : null;
        if ("unregister".equals(type) && address != null && dropped.remove(address)) {
            return; // the server removed it when its stream ended
        }
        String problem = type == null || !KNOWN_TYPES.contains(type)
                ? "unknown frame type " + (type == null ? "(none)" : "'" + type + "'") + ": one of "
                        + String.join(", ", KNOWN_TYPES)
                : address == null && !"ping".equals(type) ? "missing_address"
                : BridgeHeaders.problem(body.getValue("headers"));
        if (problem != null) {
            JsonObject err = new JsonObject().put("type", "err").put("message", problem);
            if (body.getValue("replyAddress") instanceof String reply) {
                err.put("address", reply);
            }
            delegate.write(frame(err));
            onRefused.accept(this, BridgeFrameReader.Refusal.invalid_headers);
            return;
        }
        if ("unregister".equals(type) && address != null) {
            registered.remove(address);
        }
        try {
            bridge.handle(whole);
        } catch (RuntimeException e) { // the bridge's parser or hook threw: its state is unknown, so close
            LOG.debug("TCP bridge client {}: the bridge could not act on a frame", remoteAddress(), e);
            onRefused.accept(this, BridgeFrameReader.Refusal.invalid_frame);
            closeWith(BridgeFrameReader.Refusal.invalid_frame.name());
        }
    }

    private static Buffer frame(JsonObject o) {
        byte[] json = o.encode().getBytes(StandardCharsets.UTF_8);
        return Buffer.buffer(4 + json.length).appendInt(json.length).appendBytes(json);
    }

    private void closeWith(String message) {
        delegate.write(frame(new JsonObject().put("type", "err").put("message", message)))
                .onComplete(ar -> delegate.close());
    }

    // ---- delegation ----

    /**
     * The bridge's handler logs every exception as an error with its stack; a client resetting its connection is
     * routine, so it is logged here at DEBUG and the connection closed (which releases the bridge's consumers).
     */
    @Override
    public NetSocket exceptionHandler(Handler<Throwable> handler) {
        delegate.exceptionHandler(handler == null ? null : t -> {
            if (t instanceof java.io.IOException) {
                LOG.debug("TCP bridge client {}: {}", remoteAddress(), t.toString());
            } else {
                LOG.warn("TCP bridge client {}: {}", remoteAddress(), t.toString());
            }
            delegate.close();
        });
        return this;
    }

    @Override
    public NetSocket pause() {
        delegate.pause();
        return this;
    }

    @Override
    public NetSocket resume() {
        delegate.resume();
        return this;
    }

    @Override
    public NetSocket fetch(long amount) {
        delegate.fetch(amount);
        return this;
    }

    @Override
    public NetSocket endHandler(Handler<Void> endHandler) {
        delegate.endHandler(endHandler);
        return this;
    }

    @Override
    public NetSocket setWriteQueueMaxSize(int maxSize) {
        delegate.setWriteQueueMaxSize(maxSize);
        return this;
    }

    @Override
    public NetSocket drainHandler(Handler<Void> handler) {
        delegate.drainHandler(handler);
        return this;
    }

    @Override
    public boolean writeQueueFull() {
        return delegate.writeQueueFull();
    }

    @Override
    public Future<Void> write(Buffer data) {
        return delegate.write(data);
    }

    @Override
    public String writeHandlerID() {
        return delegate.writeHandlerID();
    }

    @Override
    public Future<Void> write(String str) {
        return delegate.write(str);
    }

    @Override
    public Future<Void> write(String str, String enc) {
        return delegate.write(str, enc);
    }

    @Override
    public Future<Void> sendFile(String filename, long offset, long length) {
        return delegate.sendFile(filename, offset, length);
    }

    @Override
    public SocketAddress remoteAddress() {
        return delegate.remoteAddress();
    }

    @Override
    public SocketAddress remoteAddress(boolean real) {
        return delegate.remoteAddress(real);
    }

    @Override
    public SocketAddress localAddress() {
        return delegate.localAddress();
    }

    @Override
    public SocketAddress localAddress(boolean real) {
        return delegate.localAddress(real);
    }

    @Override
    public Future<Void> end() {
        return delegate.end();
    }

    @Override
    public Future<Void> close() {
        return delegate.close();
    }

    /** Runs after the connection closes (the owner of the raw socket calls {@link #closed()}). */
    @Override
    public NetSocket closeHandler(Handler<Void> handler) {
        this.closeHandler = handler;
        return this;
    }

    @Override
    public NetSocket shutdownHandler(Handler<Void> handler) {
        delegate.shutdownHandler(handler);
        return this;
    }

    @Override
    public Future<Void> upgradeToSsl(SSLOptions sslOptions, String serverName, Buffer upgrade) {
        return delegate.upgradeToSsl(sslOptions, serverName, upgrade);
    }

    @Override
    public boolean isSsl() {
        return delegate.isSsl();
    }

    @Override
    public SSLSession sslSession() {
        return delegate.sslSession();
    }

    @Override
    public List<Certificate> peerCertificates() throws SSLPeerUnverifiedException {
        return delegate.peerCertificates();
    }

    @Override
    public String indicatedServerName() {
        return delegate.indicatedServerName();
    }

    @Override
    public String applicationLayerProtocol() {
        return delegate.applicationLayerProtocol();
    }
}
