package dev.specserve.runtime.engine;

/**
 * The prefix cache at one moment: bytes held, the share of looked-up prompt tokens served from it, and the
 * blocks it left out because all of its memory was in use.
 */
public record PrefixCacheStats(long bytes, double hitRate, long skippedBlocks) {
    /** A server without a prefix cache. */
    public static final PrefixCacheStats NONE = new PrefixCacheStats(0, 0, 0);
}
