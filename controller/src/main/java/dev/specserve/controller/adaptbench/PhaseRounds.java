package dev.specserve.controller.adaptbench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One phase's rounds, split by what the planner chose. Under a planner, τ over all rounds mixes plain steps
 * (τ = 1) with drafted rounds, so it rises when the planner drafts more often even if no drafted round got
 * better; {@code tauDrafted} and {@code plainShare} keep the two apart.
 *
 * @param tau         mean tokens per round
 * @param tauDrafted  mean tokens per round of the rounds that verified a tree (NaN if none did)
 * @param plainShare  share of rounds that verified no tree (plain decode steps)
 * @param draftMs     mean drafting time per round (NaN where the rounds carry no times)
 * @param verifyMs    mean verification time per round (NaN likewise)
 */
public record PhaseRounds(int rounds, double tau, double tauDrafted, double plainShare, double draftMs,
                          double verifyMs) {

    /** Per phase, in order of first appearance. */
    public static Map<String, PhaseRounds> byPhase(List<Timeline.Round> all) {
        Map<String, double[]> acc = new LinkedHashMap<>();
        for (Timeline.Round r : all) {
            // rounds, tokens, drafted rounds, drafted tokens, draft ms, verify ms
            double[] a = acc.computeIfAbsent(r.phase(), k -> new double[6]);
            a[0]++;
            a[1] += r.tokens();
            if (r.nodes() > 0) {
                a[2]++;
                a[3] += r.tokens();
            }
            a[4] += r.draftMs();
            a[5] += r.verifyMs();
        }
        Map<String, PhaseRounds> out = new LinkedHashMap<>();
        acc.forEach((phase, a) -> out.put(phase, new PhaseRounds((int) a[0], a[1] / a[0],
                a[2] == 0 ? Double.NaN : a[3] / a[2], 1 - a[2] / a[0], a[4] / a[0], a[5] / a[0])));
        return out;
    }

    /** For the JSON results, rounded; NaN fields are left out. */
    public Map<String, Object> fields() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rounds", rounds);
        put(m, "tau", tau);
        put(m, "tau_drafted", tauDrafted);
        put(m, "plain_share", plainShare);
        put(m, "draft_ms", draftMs);
        put(m, "verify_ms", verifyMs);
        return m;
    }

    private static void put(Map<String, Object> m, String key, double v) {
        if (!Double.isNaN(v)) {
            m.put(key, Math.round(v * 1000) / 1000.0);
        }
    }
}
