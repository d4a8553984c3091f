package dev.specserve.controller.server;

import dev.specserve.controller.config.ServerConfig;
import io.vertx.core.net.PemKeyCertOptions;

/** The server's TLS identity: {@code tls_cert_file} and {@code tls_key_file}, PEM, for the HTTP API and the bridge. */
final class Tls {
    private Tls() {}

    /** The configured certificate and key; call only when {@link ServerConfig.Security#tls()}. */
    static PemKeyCertOptions keyCert(ServerConfig.Security security) {
        return new PemKeyCertOptions().setCertPath(security.tlsCert().toString())
                .setKeyPath(security.tlsKey().toString());
    }
}
