package dev.specserve.controller.cli;

import dev.specserve.controller.config.ServerConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * Whether {@code serve}'s ports can be bound, asked before the models load: a port another process holds was
 * otherwise found only after loading and warming up, seconds to minutes later. A check, not a reservation: the
 * servers bind for real later, and still fail loudly if the port was taken meanwhile.
 */
final class PortProbe {
    private PortProbe() {
    }

    /** An {@link IllegalStateException} naming the setting, address and reason when a configured port is taken. */
    static void requireFree(ServerConfig config) {
        probe("HTTP API", "http_port", config.httpHost(), config.httpPort());
        if (config.bridgeEnabled()) {
            probe("TCP event-bus bridge", "bridge_port", config.bridgeHost(), config.bridgePort());
        }
    }

    static void probe(String what, String setting, String host, int port) {
        if (port == 0) {
            return; // any free port
        }
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true); // as the servers bind: a port in TIME_WAIT is free
            s.bind(new InetSocketAddress(host, port));
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + what + " on " + host + ":" + port + ": " + e.getMessage()
                    + (e instanceof java.net.BindException ? " (another process listens there? choose another "
                    + setting + ")" : ""), e);
        }
    }
}
