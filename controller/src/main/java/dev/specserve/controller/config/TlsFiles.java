package dev.specserve.controller.config;

import java.nio.file.Path;

/** Checks {@code tls_cert_file} and {@code tls_key_file} at start, so a bad pair names its setting. */
final class TlsFiles {
    private TlsFiles() {}

    /** Both or neither; readable; a PEM certificate and an unencrypted PEM private key. */
    static void check(Path tlsCert, Path tlsKey) {
        if ((tlsCert == null) != (tlsKey == null)) {
            ConfigKey missing = tlsCert == null ? ConfigKey.TLS_CERT_FILE : ConfigKey.TLS_KEY_FILE;
            throw new ConfigException(missing.key(), "tls_cert_file and tls_key_file go together: "
                    + missing.key() + " is unset (set both to serve TLS, or neither)");
        }
        for (ConfigKey k : new ConfigKey[] {ConfigKey.TLS_CERT_FILE, ConfigKey.TLS_KEY_FILE}) {
            Path file = k == ConfigKey.TLS_CERT_FILE ? tlsCert : tlsKey;
            if (file != null && !java.nio.file.Files.isReadable(file)) {
                throw new ConfigException(k.key(), k.key() + " " + file + " does not exist or cannot be read");
            }
            String pem = k == ConfigKey.TLS_CERT_FILE ? "CERTIFICATE-----" : "PRIVATE KEY-----";
            if (file != null && !pemHolds(file, pem)) {
                throw new ConfigException(k.key(), k.key() + " " + file + (k == ConfigKey.TLS_CERT_FILE
                        ? " holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
                        : " holds no unencrypted PEM private key (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA/EC "
                        + "PRIVATE KEY-----)"));
            }
        }
    }

    private static boolean pemHolds(Path file, String blockEnd) {
        try {
            String text = java.nio.file.Files.readString(file, java.nio.charset.StandardCharsets.ISO_8859_1);
            return java.util.regex.Pattern.compile("-----BEGIN [A-Z ]*" + java.util.regex.Pattern.quote(blockEnd))
                    .matcher(text).find() && !text.contains("ENCRYPTED PRIVATE KEY");
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
