package dev.specserve.runtime.model;

import java.util.Arrays;

/** Additive attention masks, row-major [S][P+S]: 0 attends, -1e9 blocks. */
public final class Masks {
    public static final float BLOCKED = -1e9f;

    private Masks() {}

    /** New tokens see the whole cache and causally each other. */
    public static float[] causal(int newTokens, int past) {
        int cols = past + newTokens;
        float[] m = new float[newTokens * cols];
        for (int i = 0; i < newTokens; i++) {
            Arrays.fill(m, i * cols + past + i + 1, (i + 1) * cols, BLOCKED);
        }
        return m;
    }

    /**
     * {@code mask} [S][past+S] widened to [S][cols+S] for a past tensor of {@code cols >= past} rows: the
     * extra rows (beyond the sequence's own) are blocked. Returns {@code mask} itself when nothing is added.
     */
    static float[] widenPast(float[] mask, int newTokens, int past, int cols) {
        if (cols == past) {
            return mask;
        }
        int src = past + newTokens;
        int dst = cols + newTokens;
        float[] out = new float[newTokens * dst];
        for (int i = 0; i < newTokens; i++) {
            System.arraycopy(mask, i * src, out, i * dst, past);
            Arrays.fill(out, i * dst + past, i * dst + cols, BLOCKED);
            System.arraycopy(mask, i * src + past, out, i * dst + cols, newTokens);
        }
        return out;
    }

    /** Whether the additive mask [S][P+S] shows every one of the P past rows to every new row. */
    static boolean seesWholePast(float[] mask, int newTokens, int past) {
        for (int j = 0; j < newTokens; j++) {
            for (int c = 0; c < past; c++) {
                if (mask[j * (past + newTokens) + c] != 0f) {
                    return false;
                }
            }
        }
        return true;
    }
}
