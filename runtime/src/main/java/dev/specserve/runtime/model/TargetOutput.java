package dev.specserve.runtime.model;

import java.nio.FloatBuffer;

/**
 * What one target forward returns, copied out of ORT: logits [S][V], final hidden states [S][H],
 * the new key/value rows of every layer (to append to the cache selectively), and the time spent inside ORT.
 */
public record TargetOutput(int rows, int vocab, int dim, float[] logits, float[] hidden, FloatBuffer[] present,
                           long runNanos) {
    public int argmax(int row) {
        int base = row * vocab;
        int best = 0;
        float bestValue = logits[base];
        for (int v = 1; v < vocab; v++) {
            if (logits[base + v] > bestValue) {
                bestValue = logits[base + v];
                best = v;
            }
        }
        return best;
    }

    public float logit(int row, int token) {
        return logits[row * vocab + token];
    }

    /** Hidden states of the given rows, concatenated. */
    public float[] hiddenRows(int[] rows) {
        float[] h = new float[rows.length * dim];
        for (int j = 0; j < rows.length; j++) {
            System.arraycopy(hidden, rows[j] * dim, h, j * dim, dim);
        }
        return h;
    }
}
