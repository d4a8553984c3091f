package dev.specserve.controller.adaptbench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code adapt-bench --repeat R} reports across runs: per policy, its net tokens/s ÷ static's in each run and
 * the median; the periodic policy that was best in hindsight (highest median net tokens/s) and the bandit's ratio
 * to it; failed requests and outputs differing from static's, summed over runs. A single run tells little: on a
 * shared VM identical work varies from run to run (README). With a {@value #CONTROL} policy (static run a second
 * time in each run) the summary measures that: the control's ratio to static per run, the noise band (its largest
 * distance from 1) and, for every other ratio, whether its median lies beyond the band: judged from
 * {@value #MIN_RUNS_TO_JUDGE} runs on (a median of two runs against a band from two controls flagged a bandit that
 * never updated, so did static's very work, as beyond noise); with fewer, {@code beyond_noise} is null.
 */
public final class RepeatSummary {
    /** The control policy: static again, measuring what identical work varies by within a run. */
    public static final String CONTROL = "static-control";
    /** A policy's net tokens/s ÷ the machine's speed around its run ({@link SpeedProbe}). */
    public static final String NORMALISED = "speed_normalised";
    /** The fewest runs whose control band a median is judged against. */
    public static final int MIN_RUNS_TO_JUDGE = 3;

    private RepeatSummary() {}

    /** From the runs' policy runs (each run: the policies in order). */
    public static Map<String, Object> of(List<List<AdaptBench.PolicyRun>> runs) {
        List<List<Map<String, Object>>> results = new ArrayList<>();
        for (List<AdaptBench.PolicyRun> run : runs) {
            results.add(run.stream().map(AdaptBench.PolicyRun::results).toList());
        }
        return ofResults(results);
    }

    /**
     * From the runs' per-policy result maps ({@code policy}, {@code net_tokens_per_s}, {@code failed_requests}).
     * Where every result also has {@value #NORMALISED} (its tokens/s ÷ the machine's speed measured around it),
     * the same summary of those goes under that key: the ratios with the machine's own drift taken out.
     */
    public static Map<String, Object> ofResults(List<List<Map<String, Object>>> runs) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("runs", runs.size());
        out.putAll(ofRates(runs, "net_tokens_per_s"));
        long failed = 0;
        long differing = 0;
        boolean normalised = true;
        for (List<Map<String, Object>> run : runs) {
            for (Map<String, Object> r : run) {
                failed += ((Number) r.getOrDefault("failed_requests", 0)).longValue();
                Object d = r.get("outputs_differing_from_static");
                differing += d instanceof Number n ? n.longValue() : 0;
                normalised &= r.get(NORMALISED) instanceof Number;
            }
        }
        if (normalised) {
            out.put(NORMALISED, ofRates(runs, NORMALISED));
        }
        out.put("failed_requests", failed);
        out.put("outputs_differing_from_static", differing);
        return out;
    }

    /** Medians, ratios to static, noise band and the best periodic policy, of the rate under {@code key}. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> ofRates(List<List<Map<String, Object>>> runs, String key) {
        Map<String, List<Double>> rate = new LinkedHashMap<>();
        for (List<Map<String, Object>> run : runs) {
            for (Map<String, Object> r : run) {
                rate.computeIfAbsent((String) r.get("policy"), k -> new ArrayList<>())
                        .add(((Number) r.get(key)).doubleValue());
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        Map<String, Object> medians = new LinkedHashMap<>();
        rate.forEach((p, v) -> medians.put(p, round(median(v))));
        out.put(key + "_median", medians);
        List<Double> statics = rate.get("static");
        if (statics != null) {
            Map<String, Object> ratios = new LinkedHashMap<>();
            rate.forEach((p, v) -> {
                if (!p.equals("static")) {
                    ratios.put(p, ratios(v, statics));
                }
            });
            out.put("ratio_to_static", ratios);
            if (ratios.get(CONTROL) instanceof Map<?, ?> control) {
                double band = noiseBand(control);
                out.put("noise_band", band);
                ratios.forEach((p, r) -> {
                    if (!p.equals(CONTROL) && r instanceof Map<?, ?> m) {
                        ((Map<String, Object>) m).put("beyond_noise", runs.size() < MIN_RUNS_TO_JUDGE ? null
                                : Math.abs((double) m.get("median") - 1) > band);
                    }
                });
            }
        }
        String best = null;
        for (Map.Entry<String, List<Double>> e : rate.entrySet()) {
            if (e.getKey().startsWith("periodic-")
                    && (best == null || median(e.getValue()) > median(rate.get(best)))) {
                best = e.getKey();
            }
        }
        if (best != null) {
            out.put("best_periodic_in_hindsight", best);
            if (rate.containsKey("bandit")) {
                out.put("bandit_to_best_periodic", ratios(rate.get("bandit"), rate.get(best)));
            }
        }
        return out;
    }

    /** The control's largest distance from static in any run: how far apart identical work came out. */
    @SuppressWarnings("unchecked")
    private static double noiseBand(Map<?, ?> control) {
        double band = 0;
        for (double r : (List<Double>) control.get("per_run")) {
            band = Math.max(band, Math.abs(r - 1));
        }
        return round(band);
    }

    private static Map<String, Object> ratios(List<Double> num, List<Double> den) {
        List<Double> r = new ArrayList<>();
        for (int i = 0; i < Math.min(num.size(), den.size()); i++) {
            r.add(round(num.get(i) / den.get(i)));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("per_run", r);
        m.put("median", round(median(r)));
        return m;
    }

    static double median(List<Double> v) {
        if (v.isEmpty()) {
            return Double.NaN;
        }
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
