package dev.specserve.controller.load;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.math3.stat.descriptive.rank.Percentile;

/**
 * The figures of one concurrency level, from the results of all its requests.
 *
 * <ul>
 *   <li>{@code tokens_per_s}: completion tokens of the successful requests / wall time of the level (first send to
 *       last answer).</li>
 *   <li>TTFT: send to the first chunk with non-empty text (requests whose chunks all had empty text give no
 *       sample).</li>
 *   <li>ITL (inter-token latency), per token: SSE chunks carry text, not token counts, and one speculative round
 *       emits several tokens in one chunk. So for a request with {@code T} completion tokens (from {@code usage})
 *       in {@code C >= 2} chunks with text, each gap between successive text chunks gives one sample,
 *       {@code gap / (T / C)}: the gap shared evenly among the request's mean tokens per chunk. The raw gaps are
 *       {@code chunk_gap_*}.</li>
 *   <li>E2E: send to {@code data: [DONE]}.</li>
 * </ul>
 * Latency figures cover successful requests only; failures are counted by reason. Percentiles are Commons Math's
 * R-7 estimate (linear interpolation, numpy's default); null when there is no sample.
 */
public record LevelReport(int concurrency, int requests, int failed, Map<String, Integer> failures, String firstError,
                          long completionTokens, int requestsWithoutUsage, double wallSeconds, double tokensPerSecond,
                          double requestsPerSecond, Double ttftP50Ms, Double ttftP99Ms, Double itlP50Ms,
                          Double itlP99Ms, Double e2eP50Ms, Double e2eP99Ms, Double chunkGapP50Ms,
                          Double chunkGapP99Ms, Double tokensPerChunk) {

    public int succeeded() {
        return requests - failed;
    }

    public static LevelReport of(int concurrency, List<RequestResult> results, long wallNanos) {
        int failed = 0;
        Map<String, Integer> failures = new TreeMap<>();
        String firstError = null;
        long tokens = 0;
        long tokenChunks = 0;
        int withoutUsage = 0;
        List<Double> ttft = new ArrayList<>();
        List<Double> e2e = new ArrayList<>();
        List<Double> itl = new ArrayList<>();
        List<Double> gaps = new ArrayList<>();
        for (RequestResult r : results) {
            if (!r.ok()) {
                failed++;
                failures.merge(r.failure(), 1, Integer::sum);
                if (firstError == null) {
                    firstError = r.failure() + (r.message() == null ? "" : ": " + r.message());
                }
                continue;
            }
            tokens += r.completionTokens();
            if (!r.usageReported()) {
                withoutUsage++;
            }
            e2e.add(ms(r.e2eNanos()));
            if (r.ttftNanos() >= 0) {
                ttft.add(ms(r.ttftNanos()));
            }
            long[] t = r.tokenChunkNanos();
            tokenChunks += t.length;
            if (t.length >= 2) {
                double tokensPerChunk = Math.max(1.0, (double) r.completionTokens() / t.length);
                for (int i = 1; i < t.length; i++) {
                    double gap = ms(t[i] - t[i - 1]);
                    gaps.add(gap);
                    itl.add(gap / tokensPerChunk);
                }
            }
        }
        double wall = wallNanos / 1e9;
        return new LevelReport(concurrency, results.size(), failed, failures, firstError, tokens, withoutUsage, wall,
                wall > 0 ? tokens / wall : 0, wall > 0 ? results.size() / wall : 0,
                percentile(ttft, 50), percentile(ttft, 99), percentile(itl, 50), percentile(itl, 99),
                percentile(e2e, 50), percentile(e2e, 99), percentile(gaps, 50), percentile(gaps, 99),
                tokenChunks == 0 ? null : (double) tokens / tokenChunks);
    }

    /** The level as a JSON object (snake_case keys, milliseconds, rounded to 3 decimals). */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("concurrency", concurrency);
        m.put("requests", requests);
        m.put("succeeded", succeeded());
        m.put("failed", failed);
        m.put("failures", failures);
        m.put("first_error", firstError);
        m.put("completion_tokens", completionTokens);
        m.put("requests_without_usage", requestsWithoutUsage);
        m.put("wall_s", round(wallSeconds));
        m.put("tokens_per_s", round(tokensPerSecond));
        m.put("requests_per_s", round(requestsPerSecond));
        m.put("ttft_p50_ms", round(ttftP50Ms));
        m.put("ttft_p99_ms", round(ttftP99Ms));
        m.put("itl_p50_ms", round(itlP50Ms));
        m.put("itl_p99_ms", round(itlP99Ms));
        m.put("e2e_p50_ms", round(e2eP50Ms));
        m.put("e2e_p99_ms", round(e2eP99Ms));
        m.put("chunk_gap_p50_ms", round(chunkGapP50Ms));
        m.put("chunk_gap_p99_ms", round(chunkGapP99Ms));
        m.put("tokens_per_chunk", round(tokensPerChunk));
        return m;
    }

    static Double percentile(List<Double> samples, double p) {
        if (samples.isEmpty()) {
            return null;
        }
        double[] values = samples.stream().mapToDouble(Double::doubleValue).toArray();
        return new Percentile().withEstimationType(Percentile.EstimationType.R_7).evaluate(values, p);
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    private static Double round(Double v) {
        return v == null ? null : Math.round(v * 1000) / 1000.0;
    }

    /** The levels as a table, one row each (what `load` prints). */
    public static void printTable(PrintStream out, List<LevelReport> levels) {
        out.printf("%5s %8s %6s %9s %9s %9s %9s %9s %9s %9s %8s%n", "conc", "requests", "failed", "tok/s",
                "ttft p50", "ttft p99", "itl p50", "itl p99", "e2e p50", "e2e p99", "tok/chnk");
        for (LevelReport l : levels) {
            out.printf("%5d %8d %6d %9.1f %9s %9s %9s %9s %9s %9s %8s%n", l.concurrency(), l.requests(), l.failed(),
                    l.tokensPerSecond(), ms(l.ttftP50Ms()), ms(l.ttftP99Ms()), ms(l.itlP50Ms()), ms(l.itlP99Ms()),
                    ms(l.e2eP50Ms()), ms(l.e2eP99Ms()), l.tokensPerChunk() == null ? "-"
                            : String.format("%.2f", l.tokensPerChunk()));
        }
        out.println("(latencies in ms over successful requests; itl per token, see --help)");
    }

    private static String ms(Double v) {
        return v == null ? "-" : String.format("%.1f", v);
    }
}
