package dev.specserve.controller.adapt;

import dev.specserve.telemetry.DrafterUpdate;
import dev.specserve.telemetry.DrafterUpdateChannel;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fleet updates this replica refused, counted by reason in {@value FleetUpdates#REJECTED} (see
 * {@link FleetUpdates} for the reasons) and logged with the detail; the meters leave the registry on close.
 */
final class FleetRejections implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FleetUpdates.class);
    private static final String DESCRIPTION = "Drafter updates from the fleet topic that were not adopted";

    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new LinkedHashMap<>();
    private final List<Meter> meters = new ArrayList<>();
    private volatile DrafterUpdateChannel channel;

    FleetRejections(MeterRegistry registry, List<String> reasons) {
        this.registry = registry;
        for (String reason : reasons) {
            Counter c = Counter.builder(FleetUpdates.REJECTED).tag("reason", reason).description(DESCRIPTION)
                    .register(registry);
            counters.put(reason, c);
            meters.add(c);
        }
    }

    /** Counts the records {@code channel} skipped as malformed, or could not apply, too. */
    void countMalformed(DrafterUpdateChannel channel) {
        this.channel = channel;
        meters.add(FunctionCounter.builder(FleetUpdates.REJECTED, channel, DrafterUpdateChannel::malformed)
                .tag("reason", FleetUpdates.MALFORMED).description(DESCRIPTION).register(registry));
        meters.add(FunctionCounter.builder(FleetUpdates.REJECTED, channel, DrafterUpdateChannel::unapplied)
                .tag("reason", FleetUpdates.ERROR).description(DESCRIPTION).register(registry));
    }

    void reject(String drafterId, DrafterUpdate u, String reason, String detail, long serving) {
        counters.get(reason).increment();
        LOG.warn("rejected drafter {} version {} ({} from replica '{}') from the fleet ({}): {}; still serving "
                + "version {}", drafterId, u.version(), u.kind(), u.origin(), reason, detail, serving);
    }

    /** Every reason with its count, 0 included. */
    Map<String, Long> counts() {
        Map<String, Long> m = new LinkedHashMap<>();
        counters.forEach((reason, c) -> m.put(reason, (long) c.count()));
        m.put(FleetUpdates.MALFORMED, channel == null ? 0 : channel.malformed());
        m.put(FleetUpdates.ERROR, channel == null ? 0 : channel.unapplied());
        return m;
    }

    @Override
    public void close() {
        meters.forEach(registry::remove);
    }
}
