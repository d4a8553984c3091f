package dev.specserve.bandit;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Decisions awaiting their reward, at most {@code maxPending} of them (the oldest are dropped), and how a reward teaches. */
final class PendingDecisions {
    /** Logs under the bandit's name, as operators know it. */
    private static final Logger LOG = LoggerFactory.getLogger(CostAwareBandit.class);

    private final int maxPending;
    private final LinkedHashMap<String, Pending> pending = new LinkedHashMap<>();
    private long expired;

    PendingDecisions(int maxPending) {
        this.maxPending = maxPending;
    }

    /**
     * A decision awaiting its reward: the drafter it teaches, the chosen arm's joint features, its structural
     * value (gain − cost) and the reward scale S it was decided at.
     */
    record Pending(DrafterState state, double[] features, double structural, double scale, Decision decision) {

        /** Teaches the drafter's model the residual of {@code reward} (relative units, clipped to ± {@code clip}). */
        void learn(double reward, double clip) {
            double y = (reward - structural) / scale;
            y = Math.max(-clip, Math.min(clip, y));
            state.model.update(features, y);
        }
    }

    void add(Pending p) {
        pending.put(p.decision().id(), p);
        if (pending.size() > maxPending) {
            Iterator<Map.Entry<String, Pending>> it = pending.entrySet().iterator();
            String old = it.next().getKey();
            it.remove();
            expired++;
            LOG.warn("dropping unrealised decision {} ({} pending max)", old, maxPending);
        }
    }

    /**
     * Removes and returns the pending decision with this id.
     *
     * @throws IllegalArgumentException if it is unknown, already realised or dropped
     */
    Pending take(String decisionId) {
        Pending p = pending.remove(decisionId);
        if (p == null) {
            throw new IllegalArgumentException("unknown, expired or already realised decision id " + decisionId);
        }
        return p;
    }

    /** Drops a decision that will have no reward (not counted as expired); false when it was not pending. */
    boolean forget(String decisionId) {
        return pending.remove(decisionId) != null;
    }

    /** Drops the drafter's unrealised decisions (not counted as expired). */
    void dropAll(DrafterState state) {
        pending.values().removeIf(p -> p.state() == state);
    }

    int size() {
        return pending.size();
    }

    long expired() {
        return expired;
    }
}
