package dev.specserve.runtime.engine;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The engine's listeners; one that throws is logged and skipped, never breaks the scheduler. */
final class EngineListeners {
    private static final Logger LOG = LoggerFactory.getLogger(EngineListeners.class);

    private final List<EngineListener> listeners = new CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicLong failures = new java.util.concurrent.atomic.AtomicLong();

    void add(EngineListener listener) {
        listeners.add(listener);
    }

    void notify(Consumer<EngineListener> event) {
        for (EngineListener l : listeners) {
            try {
                event.accept(l);
            } catch (RuntimeException e) {
                failures.incrementAndGet();
                LOG.warn("engine listener {} threw: {}", l.getClass().getSimpleName(), e.toString());
            }
        }
    }

    /** Notifications a listener threw on (a feedback event it could not build, say): each is one event lost. */
    long failures() {
        return failures.get();
    }
}
