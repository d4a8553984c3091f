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
import java.util.List;
import java.util.function.BiConsumer;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * A bridge connection's socket as the TCP bridge sees it: reads pass through a frame-length check (4-byte
 * big-endian length, then that many bytes), so a frame announcing more than the limit, or a negative length,
 * closes the connection before any of it is buffered. A frame whose body is not a JSON object (not JSON, an
 * array, empty, nested past the parser's limit) closes the connection before the bridge sees it: the bridge
 * would log an error for it and answer nothing, so a client would wait forever and could fill the log. A frame
 * the bridge's own parser throws on (no type, an unknown one) closes the connection too: that parser has then read the frame's length but not its body, so its
 * framing and this check's would drift apart and the next bytes would be read as a length of up to 2 GiB, which
 * it buffers. Everything else is delegated. Also carries the random id {@link StreamOwnership} knows the
 * connection by.
 */
final class FrameLimitingSocket implements NetSocket {
    private final NetSocket delegate;
    private final String connectionId;
    private final int maxFrameBytes;
    private final BiConsumer<FrameLimitingSocket, Long> onOversized;
    private final BiConsumer<FrameLimitingSocket, RuntimeException> onInvalid;
    private Handler<Void> closeHandler;
    private boolean refused;
    // frame-boundary state: bytes of the length prefix seen so far, and body bytes still to pass
    private int headerBytes;
    private int header;
    private long bodyLeft;
    private Buffer body; // the current frame's body so far

    FrameLimitingSocket(NetSocket delegate, String connectionId, int maxFrameBytes,
                        BiConsumer<FrameLimitingSocket, Long> onOversized,
                        BiConsumer<FrameLimitingSocket, RuntimeException> onInvalid) {
        this.delegate = delegate;
        this.connectionId = connectionId;
        this.maxFrameBytes = maxFrameBytes;
        this.onOversized = onOversized;
        this.onInvalid = onInvalid;
    }

    String connectionId() {
        return connectionId;
    }

    /** Called once the underlying socket has closed. */
    void closed() {
        Handler<Void> h = closeHandler;
        if (h != null) {
            h.handle(null);
        }
    }

    @Override
    public NetSocket handler(Handler<Buffer> handler) {
        delegate.handler(handler == null ? null : buffer -> {
            if (!refused && check(buffer)) {
                try {
                    handler.handle(buffer);
                } catch (RuntimeException e) {
                    refused = true;
                    onInvalid.accept(this, e);
                    closeWith("invalid_frame");
                }
            }
        });
        return this;
    }

    /**
     * Follows frame boundaries through {@code buffer}; false (and the connection closing) on an oversized frame
     * or one that completes here without a JSON object for a body.
     */
    private boolean check(Buffer buffer) {
        int n = buffer.length();
        int i = 0;
        while (i < n) {
            if (bodyLeft > 0) {
                int take = (int) Math.min(bodyLeft, n - i);
                body.appendBuffer(buffer, i, take);
                bodyLeft -= take;
                i += take;
                if (bodyLeft == 0 && !bodyIsJsonObject()) {
                    return false;
                }
                continue;
            }
            header = (header << 8) | (buffer.getByte(i) & 0xff);
            headerBytes++;
            i++;
            if (headerBytes == 4) {
                long length = header;
                headerBytes = 0;
                header = 0;
                if (length < 0 || length > maxFrameBytes) {
                    refuse(length);
                    return false;
                }
                bodyLeft = length;
                body = Buffer.buffer((int) Math.min(length, 4096)); // grows as bytes come: an announced size costs nothing
                if (length == 0 && !bodyIsJsonObject()) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Whether the completed frame's body is a JSON object; if not, counts it and closes the connection. */
    private boolean bodyIsJsonObject() {
        String problem;
        try {
            Object value = body.length() == 0 ? null : io.vertx.core.json.Json.decodeValue(body);
            problem = value instanceof JsonObject ? null
                    : "frame body is " + (value == null ? "empty" : "JSON but not an object") + ", not a JSON object";
        } catch (io.vertx.core.json.DecodeException e) {
            problem = "frame body is not JSON";
        }
        body = null;
        if (problem == null) {
            return true;
        }
        refused = true;
        onInvalid.accept(this, new IllegalArgumentException(problem));
        closeWith("invalid_frame");
        return false;
    }

    private void refuse(long length) {
        refused = true;
        onOversized.accept(this, length);
        closeWith("frame_too_large");
    }

    private void closeWith(String message) {
        byte[] json = new JsonObject().put("type", "err").put("message", message).encode()
                .getBytes(StandardCharsets.UTF_8);
        Buffer frame = Buffer.buffer(4 + json.length).appendInt(json.length).appendBytes(json);
        delegate.write(frame).onComplete(ar -> delegate.close());
    }

    // ---- delegation ----

    @Override
    public NetSocket exceptionHandler(Handler<Throwable> handler) {
        delegate.exceptionHandler(handler);
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
