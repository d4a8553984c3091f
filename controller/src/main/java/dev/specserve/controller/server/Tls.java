package dev.specserve.controller.server;

import dev.specserve.controller.config.ConfigException;
import dev.specserve.controller.config.ServerConfig;
import io.vertx.core.Vertx;
import io.vertx.core.net.PemKeyCertOptions;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.util.Collections;

/** The server's TLS identity: {@code tls_cert_file} and {@code tls_key_file}, PEM, for the HTTP API and the bridge. */
final class Tls {
    private Tls() {}

    /**
     * The configured certificate and key; call only when {@link ServerConfig.Security#tls()}. Refuses a key that is
     * not the certificate's (the server would listen, and every handshake fail), naming {@code tls_key_file}.
     */
    static PemKeyCertOptions keyCert(Vertx vertx, ServerConfig.Security security) {
        PemKeyCertOptions options = new PemKeyCertOptions().setCertPath(security.tlsCert().toString())
                .setKeyPath(security.tlsKey().toString());
        KeyStore store;
        try {
            store = options.loadKeyStore(vertx);
        } catch (Exception e) {
            throw new ConfigException("tls_key_file", "cannot read tls_cert_file " + security.tlsCert()
                    + " with tls_key_file " + security.tlsKey() + ": " + e.getMessage());
        }
        try {
            for (String alias : Collections.list(store.aliases())) {
                Key key = store.isKeyEntry(alias) ? store.getKey(alias,
                        io.vertx.core.net.impl.KeyStoreHelper.DUMMY_PASSWORD.toCharArray()) : null;
                Certificate[] chain = store.getCertificateChain(alias);
                if (key instanceof PrivateKey k && chain != null && chain.length > 0
                        && !signs(k, chain[0].getPublicKey())) {
                    throw new ConfigException("tls_key_file", "tls_key_file " + security.tlsKey() + " is not the "
                            + "private key of the certificate in tls_cert_file " + security.tlsCert()
                            + ": every TLS handshake would fail");
                }
            }
        } catch (GeneralSecurityException e) { // the store's own password changed with Vert.x: left to the handshake
            return options;
        }
        return options;
    }

    /** Whether {@code key} signs what {@code certified} verifies (true where the algorithm is not known here). */
    private static boolean signs(PrivateKey key, PublicKey certified) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "EdDSA", "Ed25519" -> "Ed25519";
            default -> null;
        };
        if (algorithm == null) {
            return true;
        }
        try {
            byte[] probe = "specserve tls_key_file check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            Signature sign = Signature.getInstance(algorithm);
            sign.initSign(key);
            sign.update(probe);
            byte[] signature = sign.sign();
            Signature verify = Signature.getInstance(algorithm);
            verify.initVerify(certified);
            verify.update(probe);
            return verify.verify(signature);
        } catch (GeneralSecurityException e) { // a certificate of another key type
            return false;
        }
    }
}
