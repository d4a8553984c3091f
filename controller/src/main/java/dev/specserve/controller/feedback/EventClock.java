package dev.specserve.controller.feedback;

import java.util.function.LongSupplier;

/**
 * The epoch milliseconds feedback events are stamped with: the wall clock, except that it never runs backwards
 * within a process. The adaptation loop measures in event time, and a wall clock stepped back (an NTP step, a VM
 * restored from a snapshot) would freeze it: every new round would land behind the newest one seen, so no reward
 * window could close for the length of the step. After a step back the stamps count on at half speed until the wall
 * clock has caught up with them (twice the step), as NTP slews; a step forward is taken at once, as a gap.
 * Thread-safe.
 */
public final class EventClock {
    /** How far the wall clock may drift from the monotonic count before a forward step is taken. */
    static final long RESYNC_MS = 1_000;
    public static final EventClock SYSTEM = new EventClock(System::currentTimeMillis, System::nanoTime);

    private final LongSupplier wallMs;
    private final LongSupplier monoNanos;
    private long anchorMs;
    private long anchorNanos;
    private long last = Long.MIN_VALUE;
    private boolean slewing; // counting at half speed since a step back, until the wall clock catches up

    EventClock(LongSupplier wallMs, LongSupplier monoNanos) {
        this.wallMs = wallMs;
        this.monoNanos = monoNanos;
        this.anchorMs = wallMs.getAsLong();
        this.anchorNanos = monoNanos.getAsLong();
    }

    public synchronized long millis() {
        long nanos = monoNanos.getAsLong();
        long wall = wallMs.getAsLong();
        long counted = anchorMs + (nanos - anchorNanos) / (slewing ? 2_000_000 : 1_000_000);
        if (wall > counted + RESYNC_MS) { // stepped forward (or the monotonic count ran slow): take the wall clock
            anchor(wall, nanos, false);
            counted = wall;
        } else if (slewing && wall >= counted) { // caught up after a step back: full speed again
            anchor(counted, nanos, false);
        } else if (!slewing && wall < counted - RESYNC_MS) { // stepped back: slow down until it catches up
            anchor(counted, nanos, true);
        }
        last = Math.max(last, counted);
        return last;
    }

    private void anchor(long ms, long nanos, boolean slew) {
        anchorMs = ms;
        anchorNanos = nanos;
        slewing = slew;
    }
}
