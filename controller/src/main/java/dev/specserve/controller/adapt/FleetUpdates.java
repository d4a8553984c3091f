package dev.specserve.controller.adapt;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.specserve.drafters.Adapter;
import dev.specserve.drafters.DrafterVersion;
import dev.specserve.drafters.DrafterVersions;
import dev.specserve.telemetry.DrafterUpdate;
import dev.specserve.telemetry.DrafterUpdateChannel;
import dev.specserve.telemetry.TelemetryConfig;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fleet mode for one drafter: versions this replica swaps in are published to the compacted updates topic,
 * and versions published by any replica (including ones published before this replica started) are adopted
 * and made current here when they are newer than the current one.
 */
public final class FleetUpdates implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FleetUpdates.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String drafterId;
    private final DrafterVersions versions;
    private final DrafterUpdateChannel channel;

    public FleetUpdates(TelemetryConfig config, String drafterId, DrafterVersions versions) {
        this.drafterId = drafterId;
        this.versions = versions;
        this.channel = new DrafterUpdateChannel(config, this::apply);
    }

    public void publish(DrafterVersion v) {
        String metrics;
        try {
            metrics = JSON.writeValueAsString(v.metrics());
        } catch (JsonProcessingException e) {
            metrics = "{}";
        }
        Adapter a = v.adapter();
        channel.publish(drafterId, new DrafterUpdate(v.id(), v.parentId(), a.rank(), a.dim(), a.a(), a.b(), metrics));
        LOG.info("published drafter {} version {} to the fleet", drafterId, v.id());
    }

    private void apply(String id, DrafterUpdate u) {
        if (!drafterId.equals(id) || u.version() <= versions.current().id()) {
            return;
        }
        Adapter adapter = new Adapter(u.rank(), u.dim(), u.a(), u.b());
        DrafterVersion v = versions.adopt(u.version(), u.parentVersion(), adapter, Map.of("source", "fleet",
                "published_metrics", u.metricsJson()));
        versions.activate(v);
        LOG.info("applied drafter {} version {} from the fleet", drafterId, v.id());
    }

    @Override
    public void close() {
        channel.close();
    }
}
