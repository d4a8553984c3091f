package dev.specserve.controller.adaptbench;

import dev.specserve.controller.adapt.AdaptationController;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One policy run's numbers as the JSON report carries them (rounded to 3 decimals). */
final class PolicyResults {
    private PolicyResults() {}

    /**
     * @param tokens  tokens the scenario's requests got
     * @param seconds the run's wall time, probes left out
     * @param probes  the machine's speed before and after the run ({@link SpeedProbe})
     */
    static Map<String, Object> of(String policy, long tokens, double seconds, double[] probes, Timeline timeline,
                                  AdaptationController.Activity activity, long failed, long finalVersion) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("policy", policy);
        out.put("net_tokens_per_s", round(tokens / seconds));
        out.put("probe_tokens_per_s", List.of(round(probes[0]), round(probes[1])));
        out.put(RepeatSummary.NORMALISED, round(tokens / seconds / ((probes[0] + probes[1]) / 2)));
        Map<String, Object> tau = new LinkedHashMap<>();
        Map<String, Object> byPhase = new LinkedHashMap<>();
        timeline.phaseRounds().forEach((phase, r) -> {
            tau.put(phase, round(r.tau()));
            byPhase.put(phase, r.fields());
        });
        out.put("tau_per_phase", tau);
        out.put("rounds_per_phase", byPhase);
        out.put("updates", activity.updates());
        out.put("update_seconds", round(activity.updateSeconds()));
        out.put("swaps", activity.swaps());
        out.put("rollbacks", activity.rollbacks());
        out.put("failed_requests", failed);
        out.put("final_drafter_version", finalVersion);
        out.put("seconds", round(seconds));
        out.put("timeline", timeline.summary());
        return out;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
