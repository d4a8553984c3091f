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
}
