package dev.specserve.runtime.model;

import java.nio.FloatBuffer;

/**
 * What one target forward returns: logits of rows {@code [firstLogitRow, rows)} (a prefill chunk keeps only
 * its last row's), final hidden states [S][H], the new key/value rows of every layer (to append to the cache
 * selectively), and the time spent inside ORT. Logits and hidden states are copies; {@code present} views
 * the model's output buffers and stays valid only until this thread's next forward of the same model.
 */
public record TargetOutput(int rows, int vocab, int dim, int firstLogitRow, float[] logits, float[] hidden,
                           FloatBuffer[] present, long runNanos) {
    /** An output with every row's logits. */
    public TargetOutput(int rows, int vocab, int dim, float[] logits, float[] hidden, FloatBuffer[] present,
                        long runNanos) {
        this(rows, vocab, dim, 0, logits, hidden, present, runNanos);
    }

    /** Where {@code row}'s logits start in {@link #logits()}. */
    public int logitsOffset(int row) {
        if (row < firstLogitRow || row >= rows) {
            throw new IllegalArgumentException("row " + row + " has no logits (this output keeps rows "
                    + firstLogitRow + ".." + (rows - 1) + ")");
        }
        return (row - firstLogitRow) * vocab;
    }

    public int argmax(int row) {
        int base = logitsOffset(row);
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
        return logits[logitsOffset(row) + token];
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
