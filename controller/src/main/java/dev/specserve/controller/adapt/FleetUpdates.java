package dev.specserve.controller.adapt;

import dev.specserve.drafters.Adapter;
import dev.specserve.drafters.DrafterVersion;
import dev.specserve.drafters.DrafterVersions;
import dev.specserve.telemetry.DrafterUpdate;
import dev.specserve.telemetry.DrafterUpdateChannel;
import dev.specserve.telemetry.TelemetryConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fleet mode for one drafter: every version this process makes current (a trained update, a rollback, an operator
 * swap, a new drafter file) is published to the compacted updates topic, and what any other process publishes is
 * followed here, including what was published before this replica started.
 *
 * <p><b>Order.</b> The topic is keyed by drafter id, so one partition orders every change of a drafter: a record
 * later in the topic is newer, whatever its version id, and every process ends on the last one. So each process
 * applies every record in topic order, its own included ({@link OwnRecords}): an operator's swap here that crossed
 * another process's record is applied here first and published after it, so this process applies that other
 * record when it reads it, and then its own swap again, as every other process does. A rollback to a smaller id,
 * or a trainer whose ids are below this replica's own counter, is followed. Version ids are unique across the fleet
 * because only the process that trains creates versions for it (the trainer, or the one {@code local} replica) and
 * it numbers above every id it has seen ({@link DrafterVersions#adopt}), including ids whose records compaction
 * removed ({@link VersionIds}); a follower asks it to load a new drafter file ({@link #requestLoad}) rather than
 * numbering one itself. A record whose id is already known here is that version, made current again (a rollback
 * or a swap). One that reuses a known id for other weights is refused ({@value #ID_CONFLICT}).
 *
 * <p><b>Checks.</b> A broken or malicious replica can publish anything, so a new version is checked before it is
 * adopted: the serving adapter's rank and hidden dimension (an adapter of another shape would fail every drafter
 * forward) and only finite weights. A refused record never enters the history and never becomes current. Refusals
 * are logged with the reason and counted in {@value #REJECTED} with tag {@code reason}: {@value #SHAPE_MISMATCH},
 * {@value #NOT_FINITE}, {@value #INVALID} (anything else the adapter refuses, metrics that are
 * not a JSON object, a {@link DrafterUpdate.Kind#LOAD} that names no file), {@value #OTHER_MODEL} (trained for
 * another drafter ONNX file than this replica serves, by the sha256 the publisher put in the metrics, or a new
 * drafter file this replica cannot open), {@value #VERSION_OUT_OF_RANGE} (a version, or an id high-water mark, more
 * than {@value #MAX_VERSION_STEP} ahead of the highest this replica knows), {@value #ID_CONFLICT} and
 * {@value #MALFORMED} (records that are not a drafter update at all, skipped by the channel) and {@value #ERROR}
 * (a record that decoded but threw while being applied: new code tripping on an old compacted record, say).
 *
 * <p>Why the version bound: version ids continue from the highest adopted. One record claiming version
 * {@code Long.MAX_VALUE} would, once adopted, make the next local id overflow. Honest versions grow by one per
 * swap; {@value #MAX_VERSION_STEP} swaps is months of updates at one per adaptation epoch. The cost: a replica that
 * starts fresh (at version 1) does not adopt a fleet version more than {@value #MAX_VERSION_STEP} ahead of it; see
 * SECURITY.md.
 *
 * <p><b>New drafter files.</b> A {@link DrafterUpdate.Kind#LOAD} record names the file's path and sha256; a
 * follower given a file loader opens that file (it must be at the same path, e.g. a shared models volume) and then
 * serves it. Adapter versions for a drafter file this replica does not serve are refused, as before.
 */
public final class FleetUpdates implements VersionChanges, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FleetUpdates.class);

    /** Rendered as {@code specserve_drafter_updates_caught_up}. */
    public static final String CAUGHT_UP = "specserve.drafter_updates.caught_up";
    /** Rendered by Prometheus as {@code specserve_drafter_updates_rejected_total}. */
    public static final String REJECTED = "specserve.drafter_updates.rejected";
    public static final String SHAPE_MISMATCH = "shape_mismatch";
    public static final String NOT_FINITE = "not_finite";
    public static final String INVALID = "invalid";
    public static final String MALFORMED = "malformed";
    public static final String OTHER_MODEL = "other_model";
    public static final String VERSION_OUT_OF_RANGE = "version_out_of_range";
    public static final String ID_CONFLICT = "id_conflict";
    /** A record that decoded but could not be applied (its handler threw: new code on an old record, say). */
    public static final String ERROR = "error";
    /** How far ahead of the highest known version an update may be. */
    public static final long MAX_VERSION_STEP = 1_000_000;
    /** Key in the published metrics naming the drafter file (sha256) the adapter was trained for. */
    public static final String MODEL_SHA256 = "model_sha256";
    /**
     * Key in the published metrics naming the sha256 the adapter is valid for: the drafter file's, or for the int8
     * file of the bundled drafter the full-precision file's, so replicas serving either precision share versions.
     */
    public static final String ADAPTER_BASE_SHA256 = "adapter_base_sha256";
    /** Key in the published metrics naming the drafter file's path where it was published. */
    public static final String MODEL_PATH = "model_path";

    /**
     * How a followed version becomes current here, and how a new drafter file named by the fleet is opened.
     *
     * @param activate makes a version current (the trainer routes it through its rollback guard and sample buffer)
     * @param loadFile opens a drafter file given its path and sha256 and registers it as a version; null: refuse
     */
    public record Follow(Consumer<DrafterVersion> activate, BiFunction<Path, String, DrafterVersion> loadFile,
                         boolean numbersVersions) {
        /** A replica that only follows: it opens published files but carries out no load request. */
        public Follow(Consumer<DrafterVersion> activate, BiFunction<Path, String, DrafterVersion> loadFile) {
            this(activate, loadFile, false);
        }

        public static Follow activating(DrafterVersions versions) {
            return new Follow(versions::activate, null);
        }

        /** The same, for the process that numbers the fleet's versions: it carries out followers' load requests. */
        public Follow numbering() {
            return new Follow(activate, loadFile, true);
        }
    }

    private final String drafterId;
    private final String self;
    private final DrafterVersions versions;
    private final Follow follow;
    private final FleetRejections rejections;
    private final DrafterUpdateChannel channel;
    private final LoadRequests requests = new LoadRequests();
    private final VersionIds ids = new VersionIds();
    private final OwnRecords own;
    private final FleetFiles files;
    private final FleetAdoption adoption;
    private final PendingAnnouncement pending;
    private final MeterRegistry registry;
    private final io.micrometer.core.instrument.Gauge following;

    /** Counts rejections in a private registry (see {@link #rejected()}). */
    public FleetUpdates(TelemetryConfig config, String drafterId, DrafterVersions versions) {
        this(config, drafterId, versions, new SimpleMeterRegistry());
    }

    /** Counts rejections in {@code registry} (meters removed on {@link #close()}). */
    public FleetUpdates(TelemetryConfig config, String drafterId, DrafterVersions versions, MeterRegistry registry) {
        this(config, drafterId, versions, registry, Follow.activating(versions));
    }

    public FleetUpdates(TelemetryConfig config, String drafterId, DrafterVersions versions, MeterRegistry registry,
                        Follow follow) {
        this.drafterId = drafterId;
        // this process, not just its replica id: a restarted replica or trainer must apply what it published before
        this.self = config.replicaId() + "#" + java.util.UUID.randomUUID().toString().substring(0, 8);
        this.own = new OwnRecords(self);
        this.versions = versions;
        this.follow = follow;
        this.rejections = new FleetRejections(registry, List.of(SHAPE_MISMATCH, NOT_FINITE, INVALID, OTHER_MODEL,
                VERSION_OUT_OF_RANGE, ID_CONFLICT));
        this.files = new FleetFiles(drafterId, versions, follow, this::reject);
        this.adoption = new FleetAdoption(drafterId, versions, follow, files, this::reject, this::caughtUp);
        this.channel = new DrafterUpdateChannel(config, this::apply);
        rejections.countMalformed(channel);
        this.registry = registry;
        this.following = io.micrometer.core.instrument.Gauge.builder(CAUGHT_UP, channel, c -> c.reading() ? 1 : 0)
                .tag("drafter", drafterId).description("1 once the versions on the updates topic at start-up were read "
                        + "and while the topic stays readable (checked every 15 s); 0 while it cannot be read (this "
                        + "process may serve an older version than the fleet meanwhile)")
                .register(registry);
        this.pending = new PendingAnnouncement(drafterId, versions::current, this::publishNow, channel::requestCatchUp,
                channel::caughtUpWith, registry);
    }

    /** Publishes a trained update. */
    public void publish(DrafterVersion v) {
        changed(v, DrafterUpdate.Kind.UPDATE);
    }

    /**
     * Publishes a version made current here; when the broker cannot take it this throws, and the version is
     * published again while it stays current ({@link PendingAnnouncement}).
     */
    @Override
    public void changed(DrafterVersion v, DrafterUpdate.Kind kind) {
        pending.publish(v, kind);
    }

    private void publishNow(DrafterVersion v, DrafterUpdate.Kind kind) {
        if (follow.numbersVersions()) {
            ids.publishIfRaised(versions, self, u -> channel.publish(drafterId + VersionIds.KEY_SUFFIX, u));
        }
        Adapter a = v.adapter();
        own.publishing();
        try {
            channel.publish(drafterId, new DrafterUpdate(v.id(), v.parentId(), a.rank(), a.dim(), a.a(), a.b(),
                    FleetRecord.metrics(v), kind, self));
        } catch (RuntimeException e) {
            own.failed();
            throw e;
        }
        LOG.info("published drafter {} version {} ({}) to the fleet", drafterId, v.id(), kind);
    }

    /**
     * Asks the process that numbers the fleet's versions (the trainer) to load a drafter file, and returns its
     * version once it is current here (see {@link LoadRequests}); the file must be at the same path there.
     */
    public DrafterVersion requestLoad(Path path, String sha256, Duration timeout) {
        if (sha256.equals(versions.current().model().fingerprint())) {
            return versions.current();
        }
        var served = requests.expect(sha256);
        Adapter a = versions.current().adapter(); // a request carries no weights of its own; the record needs some
        String metrics = "{\"" + MODEL_SHA256 + "\":\"" + sha256 + "\",\"" + MODEL_PATH + "\":"
                + com.fasterxml.jackson.databind.node.TextNode.valueOf(path.toString()) + "}";
        channel.publish(drafterId + LoadRequests.KEY_SUFFIX, new DrafterUpdate(0, versions.current().id(), a.rank(),
                a.dim(), a.a(), a.b(), metrics, DrafterUpdate.Kind.LOAD, self));
        LOG.info("asked the fleet's trainer to load drafter file {} ({})", path, FleetRecord.abbreviate(sha256));
        return requests.await(served, sha256, path, timeout);
    }

    /** Waits until every record on the topic when this started has been applied (or refused). */
    public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        return channel.awaitCaughtUp(timeout);
    }

    /**
     * Waits up to {@code timeout} for the versions already on the topic, so a starting server opens its APIs (and
     * answers {@code /ready}) serving the fleet's version rather than its bundled one; says so when it cannot.
     */
    public void awaitReplay(Duration timeout) {
        try {
            if (!awaitCaughtUp(timeout)) {
                LOG.warn("drafter {}: the fleet's versions were not read within {} s (Kafka unreachable?); serving "
                        + "version {} until they are", drafterId, timeout.toSeconds(), versions.current().id());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether every record that was on the updates topic when following began has been applied. */
    public boolean caughtUp() {
        return channel.caughtUp();
    }

    /** Rejected updates so far, by reason (every reason listed, 0 included). */
    public Map<String, Long> rejected() {
        return rejections.counts();
    }

    private void apply(String id, DrafterUpdate u) {
        if ((drafterId + LoadRequests.KEY_SUFFIX).equals(id)) {
            if (follow.numbersVersions() && channel.caughtUp()) { // requests read while catching up are old
                files.carryOut(u, this::changed);
            }
            return;
        }
        if ((drafterId + VersionIds.KEY_SUFFIX).equals(id)) {
            String refusal = VersionIds.read(u, versions);
            if (refusal != null) {
                reject(u, VERSION_OUT_OF_RANGE, refusal);
            }
            return;
        }
        if (!drafterId.equals(id) || own.superseded(u) || adoption.overtakenHere(u, self)) {
            return; // another drafter's, or this process's own record with a later change of its own to come
        }
        adoption.adopt(u);
        requests.served(versions.current());
    }

    /** This process's name on the records it publishes. */
    String self() {
        return self;
    }

    private void reject(DrafterUpdate u, String reason, String detail) {
        rejections.reject(drafterId, u, reason, detail, versions.current().id());
    }

    @Override
    public void close() {
        registry.remove(following);
        pending.close();
        channel.close();
        rejections.close();
    }
}
