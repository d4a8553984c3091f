package dev.specserve.runtime.spec;

/**
 * A cached prompt prefix already loaded into the sequence's cache (rows 0..length-1): its length and the
 * target's final hidden states for those tokens.
 */
public record PrefixState(int length, float[] hidden) {}
