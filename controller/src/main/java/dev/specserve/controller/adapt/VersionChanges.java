package dev.specserve.controller.adapt;

import dev.specserve.drafters.DrafterVersion;
import dev.specserve.telemetry.DrafterUpdate;

/**
 * Where a drafter version made current in this process is announced: the fleet's updates topic
 * ({@link FleetUpdates}), or nowhere. Versions adopted from the fleet are never announced again.
 */
@FunctionalInterface
public interface VersionChanges {
    VersionChanges NONE = (v, kind) -> {};

    /** {@code v} became current here, by {@code kind} (a trained update, a rollback, an operator swap or load). */
    void changed(DrafterVersion v, DrafterUpdate.Kind kind);
}
