package dev.specserve.controller.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The arithmetic of a level's figures, on made-up request results. */
class LoadLevelReportTest {
    static final long MS = 1_000_000;

    static RequestResult ok(long ttftMs, long e2eMs, int tokens, long... chunkMs) {
        long[] chunks = new long[chunkMs.length];
        for (int i = 0; i < chunks.length; i++) {
            chunks[i] = chunkMs[i] * MS;
        }
        return new RequestResult(null, null, ttftMs * MS, e2eMs * MS, chunks, tokens, true);
    }

    @Test
    void itl_shares_each_chunk_gap_among_the_requests_mean_tokens_per_chunk() {
        // 6 tokens in 3 chunks: 2 per chunk; gaps 10 and 20 ms give ITL samples 5 and 10 ms
        RequestResult a = ok(40, 80, 6, 40, 50, 70);
        // 2 tokens in 2 chunks: gap 30 ms, 1 token per chunk
        RequestResult b = ok(20, 60, 2, 20, 50);
        RequestResult failed = RequestResult.failed("http_429", "queue full", 5 * MS);

        LevelReport l = LevelReport.of(2, List.of(a, b, failed), 2_000 * MS);

        assertThat(l.requests()).isEqualTo(3);
        assertThat(l.succeeded()).isEqualTo(2);
        assertThat(l.failed()).isEqualTo(1);
        assertThat(l.failures()).isEqualTo(Map.of("http_429", 1));
        assertThat(l.firstError()).isEqualTo("http_429: queue full");
        assertThat(l.completionTokens()).isEqualTo(8);
        assertThat(l.tokensPerSecond()).isCloseTo(4.0, within(1e-9));
        assertThat(l.requestsPerSecond()).isCloseTo(1.5, within(1e-9));
        // samples {5, 10, 30}; R-7: p50 = 10, p99 = 10 + 0.98 * 20
        assertThat(l.itlP50Ms()).isCloseTo(10.0, within(1e-9));
        assertThat(l.itlP99Ms()).isCloseTo(29.6, within(1e-9));
        assertThat(l.chunkGapP50Ms()).isCloseTo(20.0, within(1e-9));
        assertThat(l.ttftP50Ms()).isCloseTo(30.0, within(1e-9));
        assertThat(l.e2eP99Ms()).isCloseTo(79.8, within(1e-9));
        assertThat(l.tokensPerChunk()).isCloseTo(8 / 5.0, within(1e-9));
        assertThat(l.toJson()).containsKeys("concurrency", "tokens_per_s", "ttft_p50_ms", "ttft_p99_ms", "itl_p50_ms",
                "itl_p99_ms", "e2e_p50_ms", "e2e_p99_ms", "failed", "failures", "completion_tokens", "wall_s");
    }

    @Test
    void a_level_without_successes_has_no_latency_figures_and_no_throughput() {
        LevelReport l = LevelReport.of(1, List.of(RequestResult.failed("timeout", null, 5 * MS)), 10 * MS);

        assertThat(l.failed()).isEqualTo(1);
        assertThat(l.firstError()).isEqualTo("timeout");
        assertThat(l.tokensPerSecond()).isZero();
        assertThat(l.ttftP50Ms()).isNull();
        assertThat(l.itlP99Ms()).isNull();
        assertThat(l.tokensPerChunk()).isNull();
        assertThat(l.toJson()).containsEntry("e2e_p50_ms", null);
    }
}
