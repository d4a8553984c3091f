package dev.specserve.controller.adapt;

import dev.specserve.drafters.Adapter;
import dev.specserve.drafters.DrafterVersions;
import dev.specserve.telemetry.DrafterUpdate;
import java.util.function.Consumer;

/**
 * The highest version id numbered in the fleet, kept on the updates topic under a key of its own
 * ({@link #KEY_SUFFIX}), so that version ids stay unique across restarts of the process that numbers them.
 *
 * <p>Why a key of its own: compaction keeps only the latest record of a key. When a drafter's latest record is a
 * swap or rollback to an older version, the records of the newer versions are removed, and a trainer that restarts
 * and numbers above the highest id it reads would give the replicas' newer ids to other weights (they refuse them
 * as {@value FleetUpdates#ID_CONFLICT}, and adaptation stalls). So a process that numbers versions publishes the
 * highest id it has numbered or seen under this key, before the version record, whenever it grew; and every process
 * numbers above the highest mark it reads. A topic written before this key existed has none: ids then continue
 * above the highest version read, as before.
 */
final class VersionIds {
    /** Appended to the drafter id to form the key high-water marks are published under. */
    static final String KEY_SUFFIX = "/version-ids";
    /** Metrics key of a high-water mark record (its version field holds the mark too). */
    static final String HIGH_WATER = "ids_high_water";

    private long published;

    /**
     * Publishes {@code versions}' highest id through {@code publish} if it grew since this process last did. The
     * record's tensors are the current adapter's (a record needs some; they mean nothing here).
     */
    synchronized void publishIfRaised(DrafterVersions versions, String origin, Consumer<DrafterUpdate> publish) {
        long highest = versions.highestId();
        if (highest <= published) {
            return;
        }
        Adapter a = versions.current().adapter();
        publish.accept(new DrafterUpdate(highest, 0, a.rank(), a.dim(), a.a(), a.b(),
                "{\"" + HIGH_WATER + "\":" + highest + "}", DrafterUpdate.Kind.UPDATE, origin));
        published = highest;
    }

    /**
     * A mark read from the topic: later versions here are numbered above it. Returns why it is refused (a mark
     * below 1, one whose metrics are malformed, or more than {@value FleetUpdates#MAX_VERSION_STEP} above the
     * highest version held here), else null.
     */
    static String read(DrafterUpdate u, DrafterVersions versions) {
        // bounded by the versions held here, not by marks read before: marks must not walk the bound up in steps
        long highest = versions.list().stream().mapToLong(dev.specserve.drafters.DrafterVersion::id).max()
                .orElse(versions.current().id());
        FleetRecord.Refusal malformed = FleetRecord.malformed(u);
        if (malformed != null) {
            return "version id high-water mark: " + malformed.detail();
        }
        if (u.version() < 1) {
            return "version id high-water mark " + u.version() + ": ids start at 1";
        }
        if (u.version() - highest > FleetUpdates.MAX_VERSION_STEP) {
            return "version id high-water mark " + u.version() + " is more than " + FleetUpdates.MAX_VERSION_STEP
                    + " ahead of version " + highest;
        }
        versions.numberAbove(u.version());
        return null;
    }
}
