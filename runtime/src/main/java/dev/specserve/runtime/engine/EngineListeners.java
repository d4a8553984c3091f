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

    void add(EngineListener listener) {
        listeners.add(listener);
    }

    void notify(Consumer<EngineListener> event) {
        for (EngineListener l : listeners) {
            try {
                event.accept(l);
            } catch (RuntimeException e) {
                LOG.warn("engine listener {} threw: {}", l.getClass().getSimpleName(), e.toString());
            }
        }
    }
}
