package dev.specserve.runtime.engine;

/**
 * The engine cannot take or start a request now: it is shutting down, or the request waited past its timeout
 * without a batch slot. Nothing was generated, so the client may retry (elsewhere); HTTP maps this to 503, the
 * event bus to failure code 503, and {@link #reason()} is the metrics tag of the refusal.
 */
public class ServiceUnavailableException extends RuntimeException {
    public static final int FAILURE_CODE = 503;
    public static final String SHUTTING_DOWN = "shutting_down";
    public static final String QUEUE_TIMEOUT = "queue_timeout";

    private final String reason;

    public ServiceUnavailableException(String reason, String message) {
        super(message);
        this.reason = reason;
    }

    static ServiceUnavailableException shuttingDown() {
        return new ServiceUnavailableException(SHUTTING_DOWN, "the engine is shutting down; retry on another replica");
    }

    public String reason() {
        return reason;
    }
}
