package dev.specserve.bandit;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The bandit's {@link DecisionLog}s, each told of every decision and realisation; one that throws is logged and skipped. */
final class DecisionListeners {
    /** Logs under the bandit's name, as operators know it. */
    private static final Logger LOG = LoggerFactory.getLogger(CostAwareBandit.class);

    private final List<DecisionLog> listeners = new CopyOnWriteArrayList<>();

    void add(DecisionLog listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    void remove(DecisionLog listener) {
        listeners.remove(listener);
    }

    void decided(Decision decision) {
        for (DecisionLog l : listeners) {
            try {
                l.onDecision(decision);
            } catch (RuntimeException e) {
                LOG.warn("DecisionLog {} failed on decision {}", l, decision.id(), e);
            }
        }
    }

    void realised(Decision realised) {
        for (DecisionLog l : listeners) {
            try {
                l.onRealised(realised);
            } catch (RuntimeException e) {
                LOG.warn("DecisionLog {} failed on realised decision {}", l, realised.id(), e);
            }
        }
    }
}
