package dev.specserve.runtime.model;

import dev.specserve.runtime.kv.KvPool;
import java.util.Arrays;
import java.util.List;

/**
 * The inputs of one batched forward over pool slots 0..B-1: token ids and positions [B][S] (shorter entries
 * padded) and the additive mask [B][S][rows+S], where each entry sees only its own cache rows (the pool's
 * stride, {@link KvPool#fit()}) and its own new tokens, and a padding row attends to itself only.
 */
record PaddedBatch(int seq, int cols, long[] ids, long[] positions, float[] mask) {
    static PaddedBatch of(List<TargetModel.BatchEntry> entries, KvPool pool) {
        int b = entries.size();
        int rows = pool.fit();
        int s = entries.stream().mapToInt(e -> e.tokens().length).max().orElseThrow();
        long[] ids = new long[b * s];
        long[] pos = new long[b * s];
        int cols = rows + s;
        float[] mask = new float[b * s * cols];
        Arrays.fill(mask, Masks.BLOCKED);
        for (int e = 0; e < b; e++) {
            TargetModel.BatchEntry entry = entries.get(e);
            int n = entry.tokens().length;
            int past = pool.cacheAt(e).length();
            int srcCols = past + n;
            if (entry.mask().length != n * srcCols) {
                throw new IllegalArgumentException("batch entry " + e + " mask has " + entry.mask().length
                        + " entries, expected " + n + "x" + srcCols);
            }
            for (int j = 0; j < s; j++) {
                int row = (e * s + j) * cols;
                if (j >= n) {
                    mask[row + rows + j] = 0f;
                    continue;
                }
                ids[e * s + j] = entry.tokens()[j];
                pos[e * s + j] = entry.positions()[j];
                System.arraycopy(entry.mask(), j * srcCols, mask, row, past);
                System.arraycopy(entry.mask(), j * srcCols + past, mask, row + rows, n);
            }
        }
        return new PaddedBatch(s, cols, ids, pos, mask);
    }
}
