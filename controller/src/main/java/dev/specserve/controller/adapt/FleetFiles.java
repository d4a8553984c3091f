package dev.specserve.controller.adapt;

import dev.specserve.drafters.DrafterVersion;
import dev.specserve.drafters.DrafterVersions;
import dev.specserve.telemetry.DrafterUpdate;
import java.nio.file.Path;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drafter files named on the updates topic ({@link FleetUpdates}): a new file another process published, opened
 * here under the id it was published with, and a follower's request that the process numbering versions load one.
 */
final class FleetFiles {
    private static final Logger LOG = LoggerFactory.getLogger(FleetUpdates.class);

    /** Refuses a record: a {@link FleetUpdates} reason and the detail for the log. */
    interface Refusals {
        void reject(DrafterUpdate u, String reason, String detail);
    }

    private final String drafterId;
    private final DrafterVersions versions;
    private final FleetUpdates.Follow follow;
    private final Refusals refusals;

    FleetFiles(String drafterId, DrafterVersions versions, FleetUpdates.Follow follow, Refusals refusals) {
        this.drafterId = drafterId;
        this.versions = versions;
        this.follow = follow;
        this.refusals = refusals;
    }

    /**
     * A follower's request to load a drafter file: load it, number it and hand it to {@code changed} (published as
     * any version made here). It is loaded even when this process serves that file already: the requester does
     * not (it asks only then), so it must get a version it has never seen, which opens the file there.
     */
    void carryOut(DrafterUpdate u, BiConsumer<DrafterVersion, DrafterUpdate.Kind> changed) {
        FleetRecord.File file = FleetRecord.file(u);
        if (file.sha256() == null || file.path() == null || follow.loadFile() == null) {
            refusals.reject(u, FleetUpdates.OTHER_MODEL, "load request names no drafter file, or this process opens "
                    + "none");
            return;
        }
        try {
            DrafterVersion v = follow.loadFile().apply(Path.of(file.path()), file.sha256());
            follow.activate().accept(v);
            changed.accept(v, DrafterUpdate.Kind.LOAD);
        } catch (RuntimeException e) {
            refusals.reject(u, FleetUpdates.OTHER_MODEL, "requested drafter file " + file.path()
                    + " cannot be opened here: " + e.getMessage());
        }
    }

    /**
     * For a drafter file another process published, opens it here: a new file (LOAD) is served under the published
     * id; for a version trained on a file this process never opened (its LOAD record compacted away before this
     * process started), the file is opened under the id of the version it was trained from, and the caller adopts
     * the record's weights on it. Says whether the record can be adopted on the file now served.
     */
    boolean openPublished(DrafterUpdate u, FleetRecord.File file) {
        String sha = FleetRecord.abbreviate(file.sha256());
        boolean load = u.kind() == DrafterUpdate.Kind.LOAD;
        long id = load ? u.version() : u.parentVersion();
        if (follow.loadFile() == null || file.path() == null || (!load && (id < 1 || versions.find(id).isPresent()))) {
            refusals.reject(u, FleetUpdates.OTHER_MODEL, "trained for drafter file " + sha + ", this replica serves "
                    + FleetRecord.abbreviate(versions.current().model().fingerprint()));
            return false;
        }
        try {
            DrafterVersion opened = follow.loadFile().apply(Path.of(file.path()), file.sha256());
            // the file was numbered here; the ids seen here (a high-water mark, say) may put that above the fleet's
            follow.activate().accept(opened.id() == id ? opened : versions.renumber(opened, id, load ? u.parentVersion() : 0));
            LOG.info("drafter {}: opened drafter file {} ({}) published by replica '{}'", drafterId, file.path(), sha,
                    u.origin());
            return true;
        } catch (RuntimeException e) {
            refusals.reject(u, FleetUpdates.OTHER_MODEL, "new drafter file " + file.path() + " cannot be opened here: "
                    + e.getMessage());
            return false;
        }
    }
}
