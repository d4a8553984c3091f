package dev.specserve.controller.cli;

import dev.specserve.controller.config.ServerConfig;
import dev.specserve.controller.server.SpecserveServer;
import dev.specserve.runtime.engine.Engine;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What {@code serve} tells its user once it listens: the model, the addresses, a request to paste. */
final class ServeBanner {
    private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);

    private ServeBanner() {
    }

    static void log(ServerConfig config, Engine engine, SpecserveServer server, Path modelDir) {
        String host = urlHost(config.httpHost());
        boolean tls = config.security().tls();
        String base = (tls ? "https://" : "http://") + host + ":" + server.httpPort();
        LOG.info("serving model '{}' from {} (named {}, context {}, strategies {}, default {})", engine.modelName(),
                modelDir, String.join(", ", config.servedModelNames(engine.modelName())), engine.contextLength(),
                String.join("/", engine.strategies()), engine.defaultStrategy());
        LOG.info("HTTP API {}  (/v1/completions, /v1/chat/completions, /v1/responses, /v1/models, /tokenize, "
                + "/detokenize, /health, /ready, /metrics){}", base, tls ? ", TLS with " + config.security().tlsCert() : "");
        LOG.info(server.bridgePort() == 0 ? "TCP event-bus bridge disabled"
                : "TCP event-bus bridge on " + hostPort(config.bridgeHost(), server.bridgePort()) + (tls ? " (TLS)" : "")
                        + " (specserve.generate, specserve.generate.stream" + (config.adminToken() != null
                        ? ", specserve.admin)" : ")"));
        String curl = "curl -s " + (tls ? "--cacert " + config.security().tlsCert() + " " : "") + base + "/v1/completions -H 'Content-Type: application/json' "
                + "-d '{\"prompt\": \"def fibonacci(n):\", \"max_tokens\": 48, \"temperature\": 0}'";
        LOG.info("try: {}", curl);
        LOG.info("/ready answers 200 once the engine has warmed up; Ctrl-C or SIGTERM stops the server");
    }

    /**
     * The host part of a URL a client on this machine can paste: a wildcard address becomes loopback, and an IPv6
     * literal is bracketed ({@code http://::1:8000} is not a URL; {@code http://[::1]:8000} is).
     */
    static String urlHost(String bindHost) {
        String h = bindHost.startsWith("[") && bindHost.endsWith("]") ? bindHost.substring(1, bindHost.length() - 1)
                : bindHost;
        if (h.equals("0.0.0.0")) {
            return "127.0.0.1";
        }
        if (h.equals("::") || h.equals("0:0:0:0:0:0:0:0")) {
            return "[::1]";
        }
        return h.contains(":") ? "[" + h + "]" : h;
    }

    /** {@code host:port} with an IPv6 literal host bracketed, as it is written in URLs and for most tools. */
    static String hostPort(String host, int port) {
        return (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
    }
}
