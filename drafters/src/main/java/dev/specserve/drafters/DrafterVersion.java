package dev.specserve.drafters;

import java.time.Instant;
import java.util.Map;

/** One version of the drafter's adaptable weights: a monotonic id, its parent, and how it was made. */
public record DrafterVersion(long id, long parentId, Adapter adapter, Instant created, Map<String, Object> metrics) {
    public DrafterVersion {
        metrics = Map.copyOf(metrics);
    }
}
