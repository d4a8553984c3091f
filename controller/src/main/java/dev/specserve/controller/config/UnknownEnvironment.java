package dev.specserve.controller.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code SPECSERVE_*} environment variables that no setting reads: a typo ({@code SPECSERVE_MAX_BACTH}) or a
 * setting of another release. Not an error (a variable may be meant for another process of the same environment,
 * and a rolling upgrade shares one environment across releases), but worth a warning naming the nearest setting.
 */
public final class UnknownEnvironment {
    /** Read outside {@link ConfigKey}: the data directory, logging, identity, launcher and compose variables. */
    private static final Set<String> OTHERS = Set.of("SPECSERVE_DATA", "SPECSERVE_HOME", "SPECSERVE_LOG_LEVEL",
            "SPECSERVE_LOG_FORMAT", "SPECSERVE_REPLICA_ID", "SPECSERVE_MAVEN_ARGS", "SPECSERVE_REBUILD",
            "SPECSERVE_IMAGE", "SPECSERVE_CPU_IMAGE", "SPECSERVE_HTTP_PUBLISH", "SPECSERVE_BRIDGE_PUBLISH");
    /** Families passed through as they are: Kafka client settings, ONNX Runtime knobs, the trainer's own. */
    private static final List<String> PREFIXES = List.of("SPECSERVE_KAFKA_", "SPECSERVE_ORT_", "SPECSERVE_TRAINER_");

    private UnknownEnvironment() {
    }

    /** One line per unknown variable, with the nearest known name when one is close. */
    public static List<String> warnings(Map<String, String> env) {
        Set<String> known = new TreeSet<>(OTHERS);
        for (ConfigKey k : ConfigKey.values()) {
            known.add(k.env());
        }
        List<String> lines = new ArrayList<>();
        for (String name : new TreeSet<>(env.keySet())) {
            if (!name.startsWith("SPECSERVE_") || known.contains(name) || PREFIXES.stream().anyMatch(name::startsWith)) {
                continue;
            }
            String nearest = null;
            int best = 3; // at most two edits away
            for (String k : known) {
                int d = distance(name, k);
                if (d < best) {
                    best = d;
                    nearest = k;
                }
            }
            lines.add("environment variable " + name + " is not a setting this release reads"
                    + (nearest == null ? "" : " (did you mean " + nearest + "?)") + "; ignored");
        }
        return lines;
    }

    /** Levenshtein distance. */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                cur[j] = Math.min(Math.min(cur[j - 1], prev[j]) + 1,
                        prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
