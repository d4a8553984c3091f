package dev.specserve.telemetry;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Counts the records and bytes handed to Kafka and not yet acknowledged, and holds the sender back
 * while either bound is reached.
 */
final class InFlight {

    static final int MAX_RECORDS = 1024;
    static final long MAX_BYTES = 16L * 1024 * 1024;

    private final int maxRecords;
    private final AtomicInteger events = new AtomicInteger();
    private final AtomicInteger samples = new AtomicInteger();
    private final AtomicLong bytes = new AtomicLong();
    private volatile Thread waiter;

    /** At most {@code min(bufferCapacity, MAX_RECORDS)} records and {@link #MAX_BYTES} bytes. */
    InFlight(int bufferCapacity) {
        this.maxRecords = Math.min(bufferCapacity, MAX_RECORDS);
    }

    /** Counts a record as handed to Kafka (released by {@link #release}). */
    void acquire(boolean event, int recordBytes) {
        (event ? events : samples).incrementAndGet();
        bytes.addAndGet(recordBytes);
    }

    /** The record was acknowledged or failed: frees its room and wakes a sender waiting in {@link #awaitRoom}. */
    void release(boolean event, int recordBytes) {
        (event ? events : samples).decrementAndGet();
        bytes.addAndGet(-recordBytes);
        Thread w = waiter;
        if (w != null) {
            LockSupport.unpark(w);
        }
    }

    boolean full() {
        return records() >= maxRecords || bytes.get() >= MAX_BYTES;
    }

    /** Parks the calling thread for up to {@code maxNanos} while {@link #full()}, or until a record is released. */
    void awaitRoom(Object blocker, long maxNanos) {
        waiter = Thread.currentThread();
        if (full()) {
            LockSupport.parkNanos(blocker, maxNanos);
        }
        waiter = null;
    }

    int records() {
        return events.get() + samples.get();
    }

    int events() {
        return events.get();
    }

    int samples() {
        return samples.get();
    }
}
