package dev.specserve.runtime.manifest;

/** A model manifest or a model file does not match what specserve expects; the message names the problem. */
public class ManifestException extends RuntimeException {
    public ManifestException(String message) {
        super(message);
    }

    public ManifestException(String message, Throwable cause) {
        super(message, cause);
    }
}
