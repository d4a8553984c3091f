package dev.specserve.controller.config;

/** A setting that cannot be used; {@link #key()} names it (file key, e.g. {@code http_port}), or is null for the file itself. */
public class ConfigException extends IllegalArgumentException {
    private final String key;

    public ConfigException(String key, String message) {
        super(message);
        this.key = key;
    }

    public String key() {
        return key;
    }
}
