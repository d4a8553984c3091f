package dev.specserve.controller.adapt;

import dev.specserve.drafters.Adapter;
import dev.specserve.drafters.DrafterVersion;
import dev.specserve.drafters.DrafterVersions;
import dev.specserve.telemetry.DrafterUpdate;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How {@link FleetUpdates} applies one drafter record read from the updates topic: a version known here is made
 * current again (unless the id is known with other weights: a conflict), a new one is adopted (opening the drafter
 * file it names when needed), and a record of this process's own that a later change here overtook is left alone.
 */
final class FleetAdoption {
    private static final Logger LOG = LoggerFactory.getLogger(FleetUpdates.class);

    private final String drafterId;
    private final DrafterVersions versions;
    private final FleetUpdates.Follow follow;
    private final FleetFiles files;
    private final FleetFiles.Refusals refusals;
    private final BooleanSupplier caughtUp;
    /** The version the fleet's records last made current here (see {@link #overtakenHere}). */
    private volatile DrafterVersion fromFleet;

    FleetAdoption(String drafterId, DrafterVersions versions, FleetUpdates.Follow follow, FleetFiles files,
                  FleetFiles.Refusals refusals, BooleanSupplier caughtUp) {
        this.drafterId = drafterId;
        this.versions = versions;
        this.follow = follow;
        this.files = files;
        this.refusals = refusals;
        this.caughtUp = caughtUp;
    }

    /**
     * Whether {@code u} is this process's own record and the version served here was made current by this process
     * since (an update or an operator's swap whose record is still being published): the later change wins, so
     * the earlier record must not flip the drafter back meanwhile. A version made current from the fleet (another
     * process's record, which may have crossed {@code u}) does not overtake it: then {@code u}, later in the topic,
     * wins.
     */
    boolean overtakenHere(DrafterUpdate u, String self) {
        DrafterVersion current = versions.current();
        return self.equals(u.origin()) && current.id() != u.version() && current != fromFleet;
    }

    /** Serves {@code v}, a version the fleet's records made current. */
    private void activateFromFleet(DrafterVersion v) {
        fromFleet = v;
        follow.activate().accept(v);
    }

    /**
     * Makes the record's version current here, whoever published it (this process too: a record of another's that
     * crossed it was applied meanwhile, and the later record must win), adopting it first if it is new here.
     */
    void adopt(DrafterUpdate u) {
        FleetRecord.Refusal malformed = FleetRecord.malformed(u);
        if (malformed != null) {
            refusals.reject(u, malformed.reason(), malformed.detail());
            return;
        }
        Optional<DrafterVersion> known = versions.find(u.version());
        if (known.isPresent()) {
            // the same id with other weights: two processes numbered it (or one reused it); never served as ours
            Adapter k = known.get().adapter();
            String file = FleetRecord.file(u).sha256();
            if (!Arrays.equals(k.a(), u.a()) || !Arrays.equals(k.b(), u.b()) || u.kind() == DrafterUpdate.Kind.LOAD
                    && file != null && !file.equals(known.get().model().fingerprint())) {
                refusals.reject(u, FleetUpdates.ID_CONFLICT, "version " + u.version() + " is known here with other weights or another file");
                return;
            }
            if (known.get() == versions.current()) {
                return; // already serving it
            }
            activateFromFleet(known.get());
            log("drafter {} version {} made current again by the fleet ({} from replica '{}')", drafterId,
                    u.version(), u.kind(), u.origin());
            return;
        }
        long highest = versions.list().stream().mapToLong(DrafterVersion::id).max().orElse(versions.current().id());
        if (u.version() < 1 || u.version() - highest > FleetUpdates.MAX_VERSION_STEP) {
            refusals.reject(u, FleetUpdates.VERSION_OUT_OF_RANGE, u.version() < 1 ? "version ids start at 1"
                    : "more than " + FleetUpdates.MAX_VERSION_STEP + " ahead of version " + highest);
            return;
        }
        FleetRecord.File file = FleetRecord.file(u);
        if (file.sha256() != null && !servesFileFor(u, file)) {
            if (!files.openPublished(u, file)) {
                return;
            }
            fromFleet = versions.current(); // the file it names, opened and made current
        }
        if (versions.current().id() == u.version()) {
            return; // the file just opened here took the published id
        }
        FleetRecord.Refusal refusal = FleetRecord.refusal(u, versions.current().adapter());
        if (refusal != null) {
            refusals.reject(u, refusal.reason(), refusal.detail());
            return;
        }
        Adapter adapter = new Adapter(u.rank(), u.dim(), u.a(), u.b());
        DrafterVersion v = versions.adopt(u.version(), u.parentVersion(), adapter, Map.of("source", "fleet",
                "kind", u.kind().name(), "origin", u.origin(), "published_metrics", u.metricsJson()));
        activateFromFleet(v);
        log("applied drafter {} version {} ({} from replica '{}') from the fleet", drafterId, v.id(), u.kind(),
                u.origin());
    }

    /** A version applied: at INFO once caught up; records replayed at start-up (earlier runs' history) at DEBUG. */
    private void log(String format, Object... args) {
        if (caughtUp.getAsBoolean()) {
            LOG.info(format, args);
        } else {
            LOG.debug(format, args);
        }
    }

    /**
     * Whether the file served here fits the record: for a new drafter file ({@link DrafterUpdate.Kind#LOAD}), it is
     * that file; for an adapter, the file's adapters are trained against the same base.
     */
    private boolean servesFileFor(DrafterUpdate u, FleetRecord.File file) {
        var model = versions.current().model();
        return file.sha256().equals(model.fingerprint())
                || (u.kind() != DrafterUpdate.Kind.LOAD && model.adapterBase().equals(FleetRecord.adapterBase(u)));
    }
}
