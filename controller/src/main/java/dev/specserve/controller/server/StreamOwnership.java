package dev.specserve.controller.server;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Who owns which event-bus request, shared by {@link EventBusApiVerticle} and {@link TcpBridgeVerticle}.
 *
 * <p>A streaming request's addresses carry a <em>capability</em>: {@value #CAPABILITY_BYTES} random bytes from
 * {@link SecureRandom}, unrelated to the request id that telemetry publishes, so knowing the id (or watching
 * Kafka) does not name the stream. Over the bridge a capability is also bound to the connection that started
 * the request: only that connection may register on the stream or send to its control address. Every bridge
 * connection has a random id; the bridge stamps it on the requests it forwards in header
 * {@value #CONNECTION_HEADER} (replacing any value the client sent), and when the connection closes every request
 * it started, streaming or request/reply, is cancelled. Thread-safe (the verticles may run on different event
 * loops).
 */
final class StreamOwnership {
    /** Message header naming the bridge connection a request came from (set only by the bridge). */
    static final String CONNECTION_HEADER = "specserve-bridge-connection";
    static final int CAPABILITY_BYTES = 32;
    /** Length of a capability as text (unpadded base64url of {@value #CAPABILITY_BYTES} bytes). */
    static final int CAPABILITY_CHARS = 43;

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Map<String, String> streamOwners = new HashMap<>();
    private final Map<String, Set<Runnable>> openConnections = new HashMap<>();
    /** Streams a bridge consumer is registered on: one each (the bridge would replace, and leak, a second). */
    private final Set<String> registered = new java.util.HashSet<>();
    private final Map<String, java.util.function.Consumer<String>> endings = new HashMap<>();

    /** A fresh unguessable token (256 bits, base64url without padding). */
    static String newCapability() {
        return random(CAPABILITY_BYTES);
    }

    static String newConnectionId() {
        return random(16);
    }

    private static String random(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** @param streamEnded told the capability of each stream of the connection that ends with a consumer on it */
    synchronized void connectionOpened(String connection, java.util.function.Consumer<String> streamEnded) {
        openConnections.putIfAbsent(connection, new LinkedHashSet<>());
        endings.put(connection, streamEnded);
    }

    /** Forgets the connection's streams and runs the cancel actions of everything it started. */
    void connectionClosed(String connection) {
        Set<Runnable> cancels;
        synchronized (this) {
            cancels = openConnections.remove(connection);
            endings.remove(connection);
            streamOwners.entrySet().removeIf(e -> {
                boolean gone = connection.equals(e.getValue());
                if (gone) {
                    registered.remove(e.getKey());
                }
                return gone;
            });
        }
        if (cancels != null) {
            List.copyOf(cancels).forEach(Runnable::run);
        }
    }

    /**
     * Runs {@code cancel} when {@code connection} closes (at once if it is already closed).
     *
     * @return an action that forgets {@code cancel} (call it when the request ends)
     */
    Runnable whenClosed(String connection, Runnable cancel) {
        synchronized (this) {
            Set<Runnable> cancels = openConnections.get(connection);
            if (cancels != null) {
                cancels.add(cancel);
                return () -> {
                    synchronized (this) {
                        cancels.remove(cancel);
                    }
                };
            }
        }
        cancel.run();
        return () -> {};
    }

    /** Binds a stream's capability to the bridge connection that opened it (null: an in-process client). */
    synchronized void claim(String capability, String connection) {
        if (connection != null) {
            streamOwners.put(capability, connection);
        }
    }

    /** The stream has ended: forgets it, and has its owner's bridge drop the consumer registered on it. */
    void release(String capability) {
        java.util.function.Consumer<String> ended;
        synchronized (this) {
            String owner = streamOwners.remove(capability);
            ended = registered.remove(capability) && owner != null ? endings.get(owner) : null;
        }
        if (ended != null) {
            ended.accept(capability);
        }
    }

    /** True, once, when {@code connection} owns the stream and has no consumer registered on it yet. */
    synchronized boolean registerOnce(String connection, String capability) {
        return owns(connection, capability) && registered.add(capability);
    }

    /** True while a bridge consumer is registered on the stream. */
    synchronized boolean hasConsumer(String capability) {
        return registered.contains(capability);
    }

    synchronized void unregistered(String capability) {
        registered.remove(capability);
    }

    /** True when {@code connection} opened the stream with {@code capability}. */
    synchronized boolean owns(String connection, String capability) {
        return connection != null && connection.equals(streamOwners.get(capability));
    }

    synchronized int streams() {
        return streamOwners.size();
    }
}
