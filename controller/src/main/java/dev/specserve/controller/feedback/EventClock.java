package dev.specserve.controller.feedback;

import java.util.function.LongSupplier;

/**
 * The epoch milliseconds feedback events are stamped with: the wall clock, except that it never runs backwards
 * within a process. The adaptation loop measures in event time, and a wall clock stepped back (an NTP step, a VM
 * restored from a snapshot) would freeze it: every new round would land behind the newest one seen, so no reward
 * window could close for the length of the step. A step back is ignored (the stamps keep counting on the monotonic
 * clock from where they were); a step forward is taken, as a gap. Thread-safe.
 */
final class EventClock {
    /** How far the wall clock may drift from the monotonic count before a forward step is taken. */
    static final long RESYNC_MS = 1_000;
    static final EventClock SYSTEM = new EventClock(System::currentTimeMillis, System::nanoTime);

    private final LongSupplier wallMs;
    private final LongSupplier monoNanos;
    private long anchorMs;
    private long anchorNanos;
    private long last = Long.MIN_VALUE;

    EventClock(LongSupplier wallMs, LongSupplier monoNanos) {
        this.wallMs = wallMs;
        this.monoNanos = monoNanos;
        this.anchorMs = wallMs.getAsLong();
        this.anchorNanos = monoNanos.getAsLong();
    }

    synchronized long millis() {
        long counted = anchorMs + (monoNanos.getAsLong() - anchorNanos) / 1_000_000;
        long wall = wallMs.getAsLong();
        if (wall > counted + RESYNC_MS) { // stepped forward (or the monotonic count ran slow): take the wall clock
            anchorMs = wall;
            anchorNanos = monoNanos.getAsLong();
            counted = wall;
        }
        last = Math.max(last, counted);
        return last;
    }
}
