package dev.specserve.controller.adapt;

import dev.specserve.controller.server.AdminActions;
import dev.specserve.drafters.DrafterVersion;
import dev.specserve.drafters.DrafterVersions;
import dev.specserve.drafters.ModelStack;
import dev.specserve.telemetry.DrafterUpdate;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admin actions over the drafter's versions and the adaptation loop (which may be absent). Swaps, rollbacks and
 * drafter files are announced to the fleet: by the loop when there is one, else through {@code changes}.
 */
public final class DrafterAdmin implements AdminActions {
    private static final Logger LOG = LoggerFactory.getLogger(DrafterAdmin.class);
    /** How long a following replica's load waits for the trainer's version of the file. */
    static final java.time.Duration REQUEST_TIMEOUT = java.time.Duration.ofSeconds(30);
    private final ModelStack stack;
    private final DrafterVersions versions;
    private final AdaptationController loop;
    private final VersionChanges changes;
    private final FleetUpdates fleet;

    public DrafterAdmin(ModelStack stack, AdaptationController loop) {
        this(stack, loop, VersionChanges.NONE);
    }

    /** Without a loop (adaptation {@code off}): versions made current are announced to {@code changes}. */
    public DrafterAdmin(ModelStack stack, AdaptationController loop, VersionChanges changes) {
        this(stack, loop, changes, null);
    }

    private DrafterAdmin(ModelStack stack, AdaptationController loop, VersionChanges changes, FleetUpdates fleet) {
        this.stack = stack;
        this.versions = stack.versions();
        this.loop = loop;
        this.changes = changes;
        this.fleet = fleet;
    }

    /**
     * For {@code adaptation=follow}: swaps and rollbacks (to versions the fleet already numbered) are published to
     * {@code fleet}; a new drafter file is loaded by the trainer on request, so only the trainer numbers versions.
     */
    public static DrafterAdmin following(ModelStack stack, FleetUpdates fleet) {
        return new DrafterAdmin(stack, null, fleet, fleet);
    }

    @Override
    public List<Map<String, Object>> versions() {
        long current = versions.current().id();
        return versions.list().stream().map(v -> describe(v, v.id() == current)).toList();
    }

    @Override
    public Map<String, Object> swap(long versionId) {
        DrafterVersion v = versions.find(versionId)
                .orElseThrow(() -> new IllegalArgumentException("no drafter version " + versionId + " in the history"));
        if (loop != null) {
            loop.swapIn(v, "operator swap");
        } else {
            activate(v, DrafterUpdate.Kind.SWAP);
        }
        return describe(v, true);
    }

    @Override
    public Map<String, Object> load(String path, String sha256, boolean activate) {
        long t0 = System.nanoTime();
        if (fleet != null) {
            if (!activate) {
                throw new IllegalArgumentException("adaptation=follow: a drafter file is loaded fleet-wide by the trainer, "
                        + "which numbers its version; load it with activate=true (or on the trainer's side)");
            }
            Map<String, Object> out = describe(fleet.requestLoad(Path.of(path), sha256, REQUEST_TIMEOUT), true);
            out.put("numbered_by", "trainer");
            out.put("load_ms", (System.nanoTime() - t0) / 1_000_000);
            return out;
        }
        DrafterVersion v = stack.loadDrafter(Path.of(path), sha256);
        if (activate) {
            if (loop != null) {
                loop.swapIn(v, "drafter file " + path);
            } else {
                activate(v, DrafterUpdate.Kind.LOAD);
            }
        } else {
            v.model().closeIfUnused(); // validated and warmed up; reopened if a swap makes it current
        }
        Map<String, Object> out = describe(v, activate);
        out.put("load_ms", (System.nanoTime() - t0) / 1_000_000);
        return out;
    }

    @Override
    public Map<String, Object> rollback() {
        var to = loop != null ? loop.rollback("operator request") : versions.rollback();
        if (loop == null) {
            to.ifPresent(v -> announce(v, DrafterUpdate.Kind.ROLLBACK));
        }
        return to.map(v -> describe(v, true)).orElseThrow(() ->
                new IllegalArgumentException("version " + versions.current().id() + " has no parent to roll back to"));
    }

    @Override
    public Map<String, Object> pause() {
        requireLoop().pause();
        return Map.of("adaptation", "paused");
    }

    @Override
    public Map<String, Object> resume() {
        requireLoop().resume();
        return Map.of("adaptation", "running");
    }

    private void activate(DrafterVersion v, DrafterUpdate.Kind kind) {
        versions.activate(v);
        announce(v, kind);
    }

    /** The change is made here whether or not the fleet hears of it (a broker outage must not fail the action). */
    private void announce(DrafterVersion v, DrafterUpdate.Kind kind) {
        try {
            changes.changed(v, kind);
        } catch (RuntimeException e) {
            LOG.warn("drafter version {} ({}) is current here but not yet on the fleet's topic (published again "
                    + "every {} s while it stays current): {}", v.id(), kind, PendingAnnouncement.RETRY_EVERY.toSeconds(),
                    e.getMessage());
        }
    }

    private AdaptationController requireLoop() {
        if (loop == null) {
            throw new IllegalArgumentException("no adaptation loop runs in this process (adaptation=follow or off, or "
                    + "kafka_bootstrap=none); in a fleet, the trainer's runs");
        }
        return loop;
    }

    private static Map<String, Object> describe(DrafterVersion v, boolean current) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", v.id());
        m.put("parent_id", v.parentId());
        m.put("model_generation", v.model().generation());
        m.put("created", v.created().toString());
        m.put("current", current);
        m.put("metrics", v.metrics());
        return m;
    }
}
