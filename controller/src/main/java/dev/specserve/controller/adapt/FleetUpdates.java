package dev.specserve.controller.adapt;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.specserve.drafters.Adapter;
import dev.specserve.drafters.DrafterVersion;
import dev.specserve.drafters.DrafterVersions;
import dev.specserve.telemetry.DrafterUpdate;
import dev.specserve.telemetry.DrafterUpdateChannel;
import dev.specserve.telemetry.TelemetryConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fleet mode for one drafter: versions this replica swaps in are published to the compacted updates topic,
 * and versions published by any replica (including ones published before this replica started) are adopted
 * and made current here when they are newer than the current one.
 *
 * <p>Whatever is on the topic is checked before it is adopted, since a broken or malicious replica can publish
 * anything: an update must have the serving adapter's rank and hidden dimension (the current version's: an
 * adapter of another shape would fail every drafter forward) and only finite weights. A rejected update never
 * enters the version history, never becomes current and does not raise the version bar, so the next good update
 * is applied as if it had not been there. Rejections are logged with the reason and counted in
 * {@value #REJECTED} with tag {@code reason}: {@value #SHAPE_MISMATCH}, {@value #NOT_FINITE},
 * {@value #INVALID} (anything else the adapter refuses), {@value #OTHER_MODEL} (trained for another drafter ONNX
 * file than this replica serves, by the sha256 the publisher put in the metrics), {@value #VERSION_OUT_OF_RANGE}
 * (a version more than {@value #MAX_VERSION_STEP} ahead of the highest this replica knows) and {@value #MALFORMED}
 * (records that are not a drafter update at all, skipped by the channel).
 *
 * <p>Why the version bound: an update is adopted only when its version is newer than the current one, and version
 * ids continue from the highest adopted. One record claiming version {@code Long.MAX_VALUE} would, once adopted,
 * make every later update look old (and the next local id overflow), so a single bad record would freeze the whole
 * fleet. Honest versions grow by one per swap; {@value #MAX_VERSION_STEP} swaps is months of updates at one per
 * adaptation epoch, yet leaves the id space practically inexhaustible. The cost: a replica that starts fresh
 * (at version 1) does not adopt a fleet version more than {@value #MAX_VERSION_STEP} ahead of it; see SECURITY.md. Updates for other drafters and versions not newer than the current
 * one are ignored without checks: they would not be adopted anyway.
 */
public final class FleetUpdates implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FleetUpdates.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Rendered by Prometheus as {@code specserve_drafter_updates_rejected_total}. */
    public static final String REJECTED = "specserve.drafter_updates.rejected";
    public static final String SHAPE_MISMATCH = "shape_mismatch";
    public static final String NOT_FINITE = "not_finite";
    public static final String INVALID = "invalid";
    public static final String MALFORMED = "malformed";
    public static final String OTHER_MODEL = "other_model";
    public static final String VERSION_OUT_OF_RANGE = "version_out_of_range";
    /** How far ahead of the highest known version an update may be. */
    public static final long MAX_VERSION_STEP = 1_000_000;
    /** Key in the published metrics naming the drafter file (sha256) the adapter was trained for. */
    public static final String MODEL_SHA256 = "model_sha256";

    private final String drafterId;
    private final DrafterVersions versions;
    private final MeterRegistry registry;
    private final Map<String, Counter> rejected = new LinkedHashMap<>();
    private final List<Meter> meters = new ArrayList<>();
    private final DrafterUpdateChannel channel;

    /** Counts rejections in a private registry (see {@link #rejected()}). */
    public FleetUpdates(TelemetryConfig config, String drafterId, DrafterVersions versions) {
        this(config, drafterId, versions, new SimpleMeterRegistry());
    }

    /** Counts rejections in {@code registry} (meters removed on {@link #close()}). */
    public FleetUpdates(TelemetryConfig config, String drafterId, DrafterVersions versions, MeterRegistry registry) {
        this.drafterId = drafterId;
        this.versions = versions;
        this.registry = registry;
        for (String reason : List.of(SHAPE_MISMATCH, NOT_FINITE, INVALID, OTHER_MODEL, VERSION_OUT_OF_RANGE)) {
            Counter c = Counter.builder(REJECTED).tag("reason", reason)
                    .description("Drafter updates from the fleet topic that were not adopted").register(registry);
            rejected.put(reason, c);
            meters.add(c);
        }
        this.channel = new DrafterUpdateChannel(config, this::apply);
        meters.add(FunctionCounter.builder(REJECTED, channel, DrafterUpdateChannel::malformed).tag("reason", MALFORMED)
                .description("Drafter updates from the fleet topic that were not adopted").register(registry));
    }

    public void publish(DrafterVersion v) {
        String metrics;
        try {
            Map<String, Object> m = new LinkedHashMap<>(v.metrics());
            m.put(MODEL_SHA256, v.model().fingerprint());
            metrics = JSON.writeValueAsString(m);
        } catch (JsonProcessingException e) {
            metrics = "{\"" + MODEL_SHA256 + "\":\"" + v.model().fingerprint() + "\"}";
        }
        Adapter a = v.adapter();
        channel.publish(drafterId, new DrafterUpdate(v.id(), v.parentId(), a.rank(), a.dim(), a.a(), a.b(), metrics));
        LOG.info("published drafter {} version {} to the fleet", drafterId, v.id());
    }

    /** Rejected updates so far, by reason (every reason listed, 0 included). */
    public Map<String, Long> rejected() {
        Map<String, Long> m = new LinkedHashMap<>();
        rejected.forEach((reason, c) -> m.put(reason, (long) c.count()));
        m.put(MALFORMED, channel.malformed());
        return m;
    }

    private void apply(String id, DrafterUpdate u) {
        if (!drafterId.equals(id) || u.version() <= versions.current().id()) {
            return;
        }
        long highest = versions.list().stream().mapToLong(DrafterVersion::id).max().orElse(versions.current().id());
        if (u.version() - highest > MAX_VERSION_STEP) {
            reject(u, VERSION_OUT_OF_RANGE, "more than " + MAX_VERSION_STEP + " ahead of version " + highest);
            return;
        }
        String trainedFor = publishedModel(u);
        String servingModel = versions.current().model().fingerprint();
        if (trainedFor != null && !trainedFor.equals(servingModel)) {
            reject(u, OTHER_MODEL, "trained for drafter file " + abbreviate(trainedFor) + ", this replica serves "
                    + abbreviate(servingModel));
            return;
        }
        Adapter serving = versions.current().adapter();
        if (u.rank() != serving.rank() || u.dim() != serving.dim()) {
            reject(u, SHAPE_MISMATCH, "adapter is " + u.rank() + "x" + u.dim() + ", the serving drafter's is "
                    + serving.rank() + "x" + serving.dim());
            return;
        }
        float[] tensor = u.a();
        String name = "A";
        int bad = firstNonFinite(tensor);
        if (bad < 0) {
            tensor = u.b();
            name = "B";
            bad = firstNonFinite(tensor);
        }
        if (bad >= 0) {
            reject(u, NOT_FINITE, name + "[" + bad + "] is " + tensor[bad]);
            return;
        }
        Adapter adapter;
        try {
            adapter = new Adapter(u.rank(), u.dim(), u.a(), u.b());
        } catch (IllegalArgumentException e) {
            reject(u, INVALID, e.getMessage());
            return;
        }
        DrafterVersion v = versions.adopt(u.version(), u.parentVersion(), adapter, Map.of("source", "fleet",
                "published_metrics", u.metricsJson()));
        versions.activate(v);
        LOG.info("applied drafter {} version {} from the fleet", drafterId, v.id());
    }

    /** The drafter file the publisher trained for; null for records from publishers that did not say. */
    private static String publishedModel(DrafterUpdate u) {
        try {
            var node = JSON.readTree(u.metricsJson()).get(MODEL_SHA256);
            return node == null || !node.isTextual() ? null : node.asText();
        } catch (JsonProcessingException | RuntimeException e) {
            return null;
        }
    }

    private static String abbreviate(String sha) {
        return sha.length() > 12 ? sha.substring(0, 12) : sha;
    }

    private void reject(DrafterUpdate u, String reason, String detail) {
        rejected.get(reason).increment();
        LOG.warn("rejected drafter {} version {} from the fleet ({}): {}; still serving version {}", drafterId,
                u.version(), reason, detail, versions.current().id());
    }

    private static int firstNonFinite(float[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public void close() {
        channel.close();
        meters.forEach(registry::remove);
    }
}
