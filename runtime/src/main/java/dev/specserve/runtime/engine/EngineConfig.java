package dev.specserve.runtime.engine;

import dev.specserve.runtime.spec.DraftBudget;

/**
 * Scheduler settings.
 *
 * @param maxBatch          sequences verified together in one target forward
 * @param queueCapacity     requests waiting beyond the running batch; more are rejected with 429
 * @param maxTokensLimit    largest max_tokens a request may ask for; 0: what the context holds after the prompt
 * @param defaultStrategy   strategy when a request names none
 * @param defaultBudget     draft budget when a request gives none
 * @param requestTimeoutMillis  default per-request timeout (0 = none)
 * @param prefixCacheBytes  prefix-cache capacity in bytes (0 disables it)
 * @param prefixBlockTokens prefix-cache granularity in tokens
 * @param prefillChunkTokens prompt tokens prefilled per round while other sequences are decoding, so a long
 *                          prompt is admitted in chunks between their rounds instead of stalling them
 * @param prefillOverlap    prefill those chunks on a second thread while the round runs, each chunk sized to
 *                          take about as long as a round (at most {@code prefillChunkTokens})
 */
public record EngineConfig(int maxBatch, int queueCapacity, int maxTokensLimit, String defaultStrategy,
                           DraftBudget defaultBudget, long requestTimeoutMillis, long prefixCacheBytes,
                           int prefixBlockTokens, int prefillChunkTokens, boolean prefillOverlap) {
    public static final int DEFAULT_PREFILL_CHUNK_TOKENS = 256;

    public EngineConfig {
        if (prefillChunkTokens <= 0) {
            throw new IllegalArgumentException("prefill chunk must be at least one token, got " + prefillChunkTokens);
        }
    }

    /** Settings with prefill between rounds (no overlap). */
    public EngineConfig(int maxBatch, int queueCapacity, int maxTokensLimit, String defaultStrategy,
                        DraftBudget defaultBudget, long requestTimeoutMillis, long prefixCacheBytes,
                        int prefixBlockTokens, int prefillChunkTokens) {
        this(maxBatch, queueCapacity, maxTokensLimit, defaultStrategy, defaultBudget, requestTimeoutMillis,
                prefixCacheBytes, prefixBlockTokens, prefillChunkTokens, false);
    }

    public EngineConfig withPrefillOverlap(boolean overlap) {
        return new EngineConfig(maxBatch, queueCapacity, maxTokensLimit, defaultStrategy, defaultBudget,
                requestTimeoutMillis, prefixCacheBytes, prefixBlockTokens, prefillChunkTokens, overlap);
    }

    /** Settings with the default prefill chunk. */
    public EngineConfig(int maxBatch, int queueCapacity, int maxTokensLimit, String defaultStrategy,
                        DraftBudget defaultBudget, long requestTimeoutMillis, long prefixCacheBytes,
                        int prefixBlockTokens) {
        this(maxBatch, queueCapacity, maxTokensLimit, defaultStrategy, defaultBudget, requestTimeoutMillis,
                prefixCacheBytes, prefixBlockTokens, DEFAULT_PREFILL_CHUNK_TOKENS);
    }

    public static EngineConfig defaults() {
        return new EngineConfig(4, 64, 512, "auto", new DraftBudget(6, 4), 120_000, 256L << 20, 32);
    }
}
