package dev.specserve.drafters;

import dev.specserve.runtime.model.Masks;
import java.util.Arrays;
import java.util.List;

/**
 * The row inputs of one drafter call over B sequences: each sequence's rows padded to the longest ({@code seq}),
 * each past padded to the longest ({@code past}). A row's absolute cache columns (its {@link DraftRow#prefix()}
 * and {@link DraftRow#extra()}) are its own sequence's: column c below that sequence's past length maps to c,
 * a column of the call's new rows to {@code past + (c - its past length)}. A padding row sees only itself.
 * With one sequence nothing is padded and the columns are unchanged.
 */
record DraftBatch(int batch, int seq, int past, long[] ids, long[] slots, long[] shift, long[] positions,
                  float[] hidden, float[] mask) {

    static DraftBatch of(List<List<DraftRow>> rows, int[] pasts, int dim) {
        int b = rows.size();
        int s = rows.stream().mapToInt(List::size).max().orElseThrow();
        int p = Arrays.stream(pasts).max().orElseThrow();
        int cols = p + s;
        long[] ids = new long[b * s];
        long[] slots = new long[b * s];
        long[] shift = new long[s];
        long[] pos = new long[b * s];
        float[] hidden = new float[b * s * dim];
        float[] mask = new float[b * s * cols];
        Arrays.fill(mask, Masks.BLOCKED);
        for (int e = 0; e < b; e++) {
            List<DraftRow> entry = rows.get(e);
            int own = pasts[e];
            for (int i = 0; i < s; i++) {
                int at = e * s + i;
                int base = at * cols;
                if (i >= entry.size()) {
                    mask[base + p + i] = 0f;
                    continue;
                }
                DraftRow r = entry.get(i);
                ids[at] = r.token();
                slots[at] = r.slot();
                pos[at] = r.position();
                if (e == 0) {
                    shift[i] = r.shift();
                }
                System.arraycopy(r.hidden(), 0, hidden, at * dim, dim);
                Arrays.fill(mask, base, base + Math.min(r.prefix(), own), 0f);
                if (r.prefix() > own) {
                    Arrays.fill(mask, base + p, base + p + Math.min(r.prefix() - own, s), 0f);
                }
                for (int col : r.extra()) {
                    mask[base + (col < own ? col : p + col - own)] = 0f;
                }
            }
        }
        return new DraftBatch(b, s, p, ids, slots, shift, pos, hidden, mask);
    }
}
