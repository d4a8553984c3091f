package dev.specserve.drafters;

import java.time.Instant;
import java.util.Map;

/**
 * One version of the drafter: a monotonic id, its parent, the ONNX session it drafts with, the adapter
 * it applies on the output path, and how it was made. Adapter updates share their parent's session; a full
 * drafter swap brings a new one.
 */
public record DrafterVersion(long id, long parentId, DrafterModelHandle model, Adapter adapter, Instant created,
                             Map<String, Object> metrics) {
    public DrafterVersion {
        metrics = Map.copyOf(metrics);
    }

    /** Whether this version drafts with the same session (so the same KV cache and hidden states) as another. */
    public boolean sharesModelWith(DrafterVersion other) {
        return model == other.model;
    }
}
