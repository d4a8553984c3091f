package dev.specserve.runtime.engine;

/** Per-request serving figures, reported with the final result. */
public record RequestStats(String requestId, String strategy, long drafterVersion, long queueNanos,
                           long timeToFirstTokenNanos, long endToEndNanos, int prefixCacheHitTokens) {}
