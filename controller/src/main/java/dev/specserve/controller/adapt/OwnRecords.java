package dev.specserve.controller.adapt;

import dev.specserve.telemetry.DrafterUpdate;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The records this process published under its drafter's key, so that it can tell, reading one back, whether it is
 * the latest it published. The topic orders every change of a drafter, and every process must end on the last
 * record in it: so a process applies its own record like anyone else's when it reads it back (another process's
 * swap that crossed it, applied here meanwhile, is earlier in the topic and must not win), unless a later record of
 * its own is still to come, which will win anyway (applying the earlier one would only flip to an older version
 * and back).
 */
final class OwnRecords {
    private final String self;
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong readBack = new AtomicLong();

    OwnRecords(String self) {
        this.self = self;
    }

    /** Called before a record is handed to the broker, so it is counted before it can be read back. */
    void publishing() {
        published.incrementAndGet();
    }

    /** The record was not accepted by the broker (as far as this process can tell). */
    void failed() {
        published.decrementAndGet();
    }

    /** Whether {@code u}, read from the topic, is this process's and a later record of its own follows it. */
    boolean superseded(DrafterUpdate u) {
        return self.equals(u.origin()) && readBack.incrementAndGet() < published.get();
    }
}
