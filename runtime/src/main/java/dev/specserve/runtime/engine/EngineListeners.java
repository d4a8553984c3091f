package dev.specserve.runtime.engine;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's listeners; one that throws is counted, logged at most once a minute (it may throw on every round),
 * and skipped, never breaks the scheduler.
 */
final class EngineListeners {
    private static final Logger LOG = LoggerFactory.getLogger(EngineListeners.class);
    private static final long LOG_EVERY_NANOS = java.util.concurrent.TimeUnit.MINUTES.toNanos(1);

    private final List<EngineListener> listeners = new CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicLong failures = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong nextLogNanos = new java.util.concurrent.atomic.AtomicLong(System.nanoTime());

    void add(EngineListener listener) {
        listeners.add(listener);
    }

    void notify(Consumer<EngineListener> event) {
        for (EngineListener l : listeners) {
            try {
                event.accept(l);
            } catch (RuntimeException e) {
                long total = failures.incrementAndGet();
                long now = System.nanoTime();
                long next = nextLogNanos.get();
                if (now - next >= 0 && nextLogNanos.compareAndSet(next, now + LOG_EVERY_NANOS)) { // one a minute at most
                    LOG.warn("engine listener {} threw: {} ({} notifications lost so far; logged at most once a minute, "
                            + "all counted in specserve_engine_listener_errors_total)", l.getClass().getSimpleName(),
                            e.toString(), total);
                }
            }
        }
    }

    /** Notifications a listener threw on (a feedback event it could not build, say): each is one event lost. */
    long failures() {
        return failures.get();
    }
}
