package dev.specserve.runtime.engine;

/** The engine's bounded queue is full; HTTP maps this to 429, the event bus to failure code 429. */
public class QueueFullException extends RuntimeException {
    public static final int FAILURE_CODE = 429;

    public QueueFullException(int capacity) {
        super("request queue is full (" + capacity + " waiting); retry later");
    }
}
