package dev.specserve.telemetry;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static dev.specserve.telemetry.Validation.requireNonNegative;
import static dev.specserve.telemetry.Validation.requireText;

/**
 * What an online drafter update needs from one verification round, for the {@code n} tree nodes whose
 * parent lies on the accepted path: node {@code i}'s drafter output hidden state
 * ({@code hidden[i*hiddenDim .. (i+1)*hiddenDim)}), the target model's token at that node
 * ({@code targetTokens[i]}: the token the target chose after the node's parent prefix), whether the
 * node's own path is a valid prefix, i.e. the drafter's token there equals the target's
 * ({@code validPrefix[i]}), and its depth in the tree ({@code depths[i]}, root = 0).
 *
 * <p>Arrays are not copied: the sample takes ownership, and callers must not modify them after
 * construction (the publisher encodes them later, on its sender thread). {@code equals} compares
 * array contents.
 */
public record TrainingSample(String requestId, int round, String drafterId, long drafterVersion, int hiddenDim,
                             float[] hidden, int[] targetTokens, boolean[] validPrefix, int[] depths) {

    /** Longest id, in UTF-8 bytes, that the binary encoding can carry. */
    public static final int MAX_ID_BYTES = 0xffff;

    public TrainingSample {
        requireText(requestId, "requestId");
        requireText(drafterId, "drafterId");
        if (requestId.getBytes(StandardCharsets.UTF_8).length > MAX_ID_BYTES
                || drafterId.getBytes(StandardCharsets.UTF_8).length > MAX_ID_BYTES) {
            throw new IllegalArgumentException("requestId/drafterId longer than " + MAX_ID_BYTES + " UTF-8 bytes");
        }
        requireNonNegative(round, "round");
        requireNonNegative(drafterVersion, "drafterVersion");
        if (hiddenDim <= 0) {
            throw new IllegalArgumentException("hiddenDim must be > 0, was " + hiddenDim);
        }
        if (hidden == null || targetTokens == null || validPrefix == null || depths == null) {
            throw new IllegalArgumentException("hidden, targetTokens, validPrefix and depths are required");
        }
        int n = targetTokens.length;
        if (validPrefix.length != n || depths.length != n) {
            throw new IllegalArgumentException("targetTokens (" + n + "), validPrefix (" + validPrefix.length
                    + ") and depths (" + depths.length + ") must have the same length");
        }
        if ((long) n * hiddenDim != hidden.length) {
            throw new IllegalArgumentException("hidden has " + hidden.length + " values, expected n*hiddenDim = "
                    + n + "*" + hiddenDim);
        }
        for (int i = 0; i < n; i++) {
            if (targetTokens[i] < 0) {
                throw new IllegalArgumentException("targetTokens[" + i + "] is negative: " + targetTokens[i]);
            }
            if (depths[i] < 0) {
                throw new IllegalArgumentException("depths[" + i + "] is negative: " + depths[i]);
            }
        }
    }

    /** Number of nodes. */
    public int nodes() {
        return targetTokens.length;
    }

    /** Node {@code i}'s hidden state (a copy). */
    public float[] hiddenRow(int i) {
        return Arrays.copyOfRange(hidden, i * hiddenDim, (i + 1) * hiddenDim);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TrainingSample s
                && round == s.round && drafterVersion == s.drafterVersion && hiddenDim == s.hiddenDim
                && requestId.equals(s.requestId) && drafterId.equals(s.drafterId)
                && Arrays.equals(hidden, s.hidden) && Arrays.equals(targetTokens, s.targetTokens)
                && Arrays.equals(validPrefix, s.validPrefix) && Arrays.equals(depths, s.depths);
    }

    @Override
    public int hashCode() {
        int h = requestId.hashCode();
        h = 31 * h + round;
        h = 31 * h + drafterId.hashCode();
        h = 31 * h + Long.hashCode(drafterVersion);
        h = 31 * h + hiddenDim;
        h = 31 * h + Arrays.hashCode(hidden);
        h = 31 * h + Arrays.hashCode(targetTokens);
        h = 31 * h + Arrays.hashCode(validPrefix);
        return 31 * h + Arrays.hashCode(depths);
    }

    @Override
    public String toString() {
        return "TrainingSample[requestId=" + requestId + ", round=" + round + ", drafterId=" + drafterId
                + ", drafterVersion=" + drafterVersion + ", hiddenDim=" + hiddenDim + ", nodes=" + nodes()
                + ", targetTokens=" + Arrays.toString(targetTokens) + ", validPrefix=" + Arrays.toString(validPrefix)
                + ", depths=" + Arrays.toString(depths) + "]";
    }
}
