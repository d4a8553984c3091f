package dev.specserve.runtime.engine;

/** The engine's bounded queue is full; HTTP maps this to 429, the event bus to failure code 429. */
public class QueueFullException extends RuntimeException {
    public static final int FAILURE_CODE = 429;

    public QueueFullException(int capacity) {
        this(capacity, "waiting");
    }

    /** @param what what there are {@code capacity} of, e.g. "requests waiting to be tokenized" */
    public QueueFullException(int capacity, String what) {
        super("request queue is full (" + capacity + " " + what + "); retry later");
    }
}
