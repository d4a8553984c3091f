package dev.specserve.controller.adapt;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.specserve.drafters.Adapter;
import dev.specserve.drafters.DrafterVersion;
import dev.specserve.telemetry.DrafterUpdate;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a record on the updates topic says beyond its tensors (the drafter file it was made for, in its metrics),
 * and whether its adapter can be served here.
 */
final class FleetRecord {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Why a record is refused: a {@link FleetUpdates} reason and the detail for the log. */
    record Refusal(String reason, String detail) {}

    /** The drafter file a record names: its sha256 and its path where it was published (each null if unsaid). */
    record File(String sha256, String path) {}

    private FleetRecord() {}

    /** The version's metrics, plus the sha256 and path of its drafter file. */
    static String metrics(DrafterVersion v) {
        Map<String, Object> m = new LinkedHashMap<>(v.metrics());
        m.put(FleetUpdates.MODEL_SHA256, v.model().fingerprint());
        m.put(FleetUpdates.MODEL_PATH, filePath(v));
        m.put(FleetUpdates.ADAPTER_BASE_SHA256, v.model().adapterBase());
        try {
            return JSON.writeValueAsString(m);
        } catch (JsonProcessingException e) {
            return JSON.createObjectNode().put(FleetUpdates.MODEL_SHA256, v.model().fingerprint())
                    .put(FleetUpdates.MODEL_PATH, filePath(v)).toString();
        }
    }

    /** The drafter file's path: a loaded file's source reads "PATH (sha256 0123456789ab)", the bundled one's PATH. */
    static String filePath(DrafterVersion v) {
        String source = v.model().source();
        int suffix = source.lastIndexOf(" (sha256 ");
        return suffix > 0 && source.endsWith(")") ? source.substring(0, suffix) : source;
    }

    /** The drafter file the publisher made the record for. */
    static File file(DrafterUpdate u) {
        JsonNode m = metricsObject(u);
        return new File(text(m, FleetUpdates.MODEL_SHA256), text(m, FleetUpdates.MODEL_PATH));
    }

    /**
     * The sha256 the record's adapter was trained against ({@link dev.specserve.drafters.DrafterModelHandle#adapterBase}):
     * records published before it was named carry only the file's, which for the bundled drafter was the base.
     */
    static String adapterBase(DrafterUpdate u) {
        String base = text(metricsObject(u), FleetUpdates.ADAPTER_BASE_SHA256);
        return base != null ? base : file(u).sha256();
    }

    /**
     * Why the record is not one this code publishes, whatever its tensors ({@link FleetUpdates#INVALID}): metrics
     * that are not a JSON object, or a {@link DrafterUpdate.Kind#LOAD} that names no drafter file (served as an
     * adapter, it would take the fleet to an id no file stands behind); else null.
     */
    static Refusal malformed(DrafterUpdate u) {
        if (metricsObject(u) == null) {
            return new Refusal(FleetUpdates.INVALID, "its metrics are not a JSON object");
        }
        File file = file(u);
        if (u.kind() == DrafterUpdate.Kind.LOAD && (file.sha256() == null || file.path() == null)) {
            return new Refusal(FleetUpdates.INVALID, "a LOAD record must name its drafter file ("
                    + FleetUpdates.MODEL_SHA256 + " and " + FleetUpdates.MODEL_PATH + " in its metrics)");
        }
        return null;
    }

    private static JsonNode metricsObject(DrafterUpdate u) {
        try {
            JsonNode m = JSON.readTree(u.metricsJson());
            return m != null && m.isObject() ? m : null;
        } catch (JsonProcessingException | RuntimeException e) {
            return null;
        }
    }

    private static String text(JsonNode metrics, String key) {
        JsonNode node = metrics == null ? null : metrics.get(key);
        return node == null || !node.isTextual() ? null : node.asText();
    }

    /** Why the record's adapter cannot replace {@code serving}'s (another shape, a non-finite weight), or null. */
    static Refusal refusal(DrafterUpdate u, Adapter serving) {
        if (u.rank() != serving.rank() || u.dim() != serving.dim()) {
            return new Refusal(FleetUpdates.SHAPE_MISMATCH, "adapter is " + u.rank() + "x" + u.dim()
                    + ", the serving drafter's is " + serving.rank() + "x" + serving.dim());
        }
        for (String name : new String[] {"A", "B"}) {
            float[] tensor = name.equals("A") ? u.a() : u.b();
            for (int i = 0; i < tensor.length; i++) {
                if (!Float.isFinite(tensor[i])) {
                    return new Refusal(FleetUpdates.NOT_FINITE, name + "[" + i + "] is " + tensor[i]);
                }
            }
        }
        try {
            new Adapter(u.rank(), u.dim(), u.a(), u.b());
            return null;
        } catch (IllegalArgumentException e) {
            return new Refusal(FleetUpdates.INVALID, e.getMessage());
        }
    }

    static String abbreviate(String sha) {
        return sha.length() > 12 ? sha.substring(0, 12) : sha;
    }
}
