package dev.specserve.runtime.kv;

import java.nio.FloatBuffer;

/**
 * How a graph takes its cached keys and values. Both layouts keep a sequence's rows for one tensor in one
 * region, so a batch of pool slots is a zero-copy past; they differ in what is contiguous inside it.
 */
public enum KvLayout {
    /** {@code [batch, rows, heads, headDim]}: one position's heads side by side (specserve's first contract). */
    BSHD,
    /**
     * {@code [batch, heads, rows, headDim]}: the layout attention reads, so the graph scores the past in place
     * instead of transposing and concatenating it in every layer.
     */
    BHSD;

    /** Float offset of {@code (row, head)} in a region of {@code regionRows} rows. */
    int offset(int row, int head, int regionRows, int heads, int headDim) {
        return this == BSHD ? (row * heads + head) * headDim : (head * regionRows + row) * headDim;
    }

    long[] shape(int batch, int rows, int heads, int headDim) {
        return this == BSHD ? new long[] {batch, rows, heads, headDim} : new long[] {batch, heads, rows, headDim};
    }

    /**
     * Reads rows [from, from+rows) of a region into {@code out} as [rows][heads][headDim]: one bulk read for
     * BSHD, one per head for BHSD (a head's rows are contiguous there) re-interleaved on the heap, which costs
     * far less than a native copy per row and head.
     */
    void read(FloatBuffer region, int regionRows, int heads, int headDim, int from, int rows, float[] out, int outOffset) {
        int rowFloats = heads * headDim;
        if (this == BSHD) {
            region.get(from * rowFloats, out, outOffset, rows * rowFloats);
            return;
        }
        float[] head = new float[rows * headDim];
        for (int h = 0; h < heads; h++) {
            region.get(offset(from, h, regionRows, heads, headDim), head, 0, head.length);
            for (int r = 0; r < rows; r++) {
                System.arraycopy(head, r * headDim, out, outOffset + r * rowFloats + h * headDim, headDim);
            }
        }
    }

    /** Writes {@code count} rows given as [rows][heads][headDim] at {@code srcOffset} of src into a region from {@code row}. */
    void write(FloatBuffer region, int regionRows, int heads, int headDim, int row, FloatBuffer src, int srcOffset, int count) {
        int rowFloats = heads * headDim;
        if (this == BSHD) {
            region.put(row * rowFloats, src, srcOffset, count * rowFloats);
        } else if (count == 1) {
            for (int h = 0; h < heads; h++) {
                region.put(offset(row, h, regionRows, heads, headDim), src, srcOffset + h * headDim, headDim);
            }
        } else { // one bulk read, then one bulk write per head
            float[] rows = new float[count * rowFloats];
            src.get(srcOffset, rows, 0, rows.length);
            float[] head = new float[count * headDim];
            for (int h = 0; h < heads; h++) {
                for (int r = 0; r < count; r++) {
                    System.arraycopy(rows, r * rowFloats + h * headDim, head, r * headDim, headDim);
                }
                region.put(offset(row, h, regionRows, heads, headDim), head, 0, head.length);
            }
        }
    }

    /** The layout a manifest names ({@code target.past_layout}); absent means BSHD. */
    public static KvLayout parse(String name) {
        for (KvLayout l : values()) {
            if (l.name().equalsIgnoreCase(name)) {
                return l;
            }
        }
        throw new IllegalArgumentException("unknown past layout '" + name + "' (expected bshd or bhsd)");
    }
}
