package dev.specserve.controller.adapt;

import dev.specserve.bandit.DriftDetector;
import dev.specserve.drafters.DrafterVersion;
import dev.specserve.drafters.DrafterVersions;
import dev.specserve.drafters.update.RollbackGuard;
import dev.specserve.drafters.update.SampleBuffer;
import dev.specserve.telemetry.DrafterUpdate;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every way a drafter version becomes current, under one lock: a trained update's swap, an operator's swap or a new
 * drafter file, a version the fleet made current, and a rollback. Each is watched by the rollback guard, resets the
 * drift detector and the τ reference, is counted, and (except what the fleet made current) is announced.
 */
final class VersionSwitch {
    private static final Logger LOG = LoggerFactory.getLogger(VersionSwitch.class);

    private final String drafterId;
    private final DrafterVersions versions;
    private final RollbackGuard guard;
    private final DriftDetector drift;
    private final TauReference reference;
    private final SampleBuffer buffer;
    private final ActivityCounts counts;
    private final DecisionEvents events;
    private volatile VersionChanges changes = VersionChanges.NONE;

    VersionSwitch(String drafterId, DrafterVersions versions, RollbackGuard guard, DriftDetector drift,
                  TauReference reference, SampleBuffer buffer, ActivityCounts counts, DecisionEvents events) {
        this.drafterId = drafterId;
        this.versions = versions;
        this.guard = guard;
        this.drift = drift;
        this.reference = reference;
        this.buffer = buffer;
        this.counts = counts;
        this.events = events;
    }

    void announceTo(VersionChanges changes) {
        this.changes = changes;
    }

    /**
     * Swaps in a trained candidate unless another version became current while it trained (a rollback or a swap,
     * which it would undo); says how long the swap stalled, or empty when it was not swapped in.
     */
    synchronized Optional<Double> swapTrained(String updateId, DrafterVersion v, int steps, double seconds,
                                             double agreementBefore, double agreementAfter) {
        long before = versions.current().id();
        if (v.parentId() != before) {
            LOG.info("update {} not swapped in: it was trained from version {}, and version {} became current "
                    + "meanwhile (a rollback or a swap)", updateId, v.parentId(), before);
            return Optional.empty();
        }
        long swapStart = System.nanoTime();
        activateWatched(v);
        double swapSeconds = (System.nanoTime() - swapStart) / 1e9;
        LOG.info("drafter {} version {} -> {} swapped in after {} steps in {} s (held-out agreement {} -> {})",
                drafterId, before, v.id(), steps, String.format("%.2f", seconds),
                String.format("%.3f", agreementBefore), String.format("%.3f", agreementAfter));
        announce(v, DrafterUpdate.Kind.UPDATE);
        return Optional.of(swapSeconds);
    }

    /** Makes a version from outside the update path current and announces it (see the controller's swapIn). */
    synchronized void swapIn(DrafterVersion v, String reason) {
        boolean newModel = follow(v, reason);
        announce(v, newModel ? DrafterUpdate.Kind.LOAD : DrafterUpdate.Kind.SWAP);
    }

    /** Makes a version the fleet made current, without announcing it again; says if its file is new. */
    synchronized boolean follow(DrafterVersion v, String reason) {
        boolean newModel = !v.sharesModelWith(versions.current());
        long before = versions.current().id();
        activateWatched(v);
        if (newModel) {
            buffer.clear();
        }
        LOG.info("drafter {} version {} -> {} swapped in: {}{}", drafterId, before, v.id(), reason,
                newModel ? " (new drafter session; sample buffer emptied)" : "");
        return newModel;
    }

    /** Reverts the guard's judged version to its parent, unless another version became current since. */
    synchronized void rollbackFrom(long judged, String reason) {
        if (versions.current().id() != judged) {
            LOG.info("drafter {} version {} was judged for rollback, but version {} is current now; kept",
                    drafterId, judged, versions.current().id());
            return;
        }
        rollback(reason);
    }

    /** Reverts to the current version's parent. */
    synchronized Optional<DrafterVersion> rollback(String reason) {
        long from = versions.current().id();
        Optional<DrafterVersion> to = versions.rollback();
        to.ifPresent(v -> {
            counts.rolledBack();
            LOG.warn("drafter {} rolled back {} -> {}: {}", drafterId, from, v.id(), reason);
            drift.reset();
            events.rollback(from, v.id(), reason);
            announce(v, DrafterUpdate.Kind.ROLLBACK);
        });
        return to;
    }

    private void announce(DrafterVersion v, DrafterUpdate.Kind kind) {
        try {
            changes.changed(v, kind);
        } catch (RuntimeException e) {
            LOG.warn("version {} ({}) is current here but not yet on the fleet's topic (published again every {} s "
                    + "while it stays current): {}", v.id(), kind, PendingAnnouncement.RETRY_EVERY.toSeconds(),
                    e.getMessage());
        }
    }

    private void activateWatched(DrafterVersion v) {
        versions.activate(v);
        counts.swapped();
        guard.watch(v.id());
        drift.reset();
        reference.afterUpdate(Double.NaN);
    }
}
