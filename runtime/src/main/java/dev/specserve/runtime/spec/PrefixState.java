package dev.specserve.runtime.spec;

/**
 * A cached prompt prefix: the target's KV rows and final hidden states for its first {@code length} tokens.
 * {@code kvRows} is null when the rows were already loaded into the sequence's cache (rows 0..length-1).
 */
public record PrefixState(int length, float[][] kvRows, float[] hidden) {}
