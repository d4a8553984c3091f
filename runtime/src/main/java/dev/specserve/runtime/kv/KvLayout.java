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

    /** Reads rows [from, from+rows) of a region into {@code out} as [rows][heads][headDim]. */
    void read(FloatBuffer region, int regionRows, int heads, int headDim, int from, int rows, float[] out, int outOffset) {
        copy(region, regionRows, heads, headDim, from, rows, FloatBuffer.wrap(out), outOffset);
    }

    /**
     * Copies rows [from, from+rows) of a region into {@code dst} from {@code dstOffset} as [rows][heads][headDim],
     * buffer to buffer: one bulk copy for BSHD, one per row and head for BHSD, and no heap array in between (a
     * heap round trip of a 150-row prompt's KV was 3.5 MB of garbage per copy, and cost more than the copies).
     */
    void copy(FloatBuffer region, int regionRows, int heads, int headDim, int from, int rows, FloatBuffer dst, int dstOffset) {
        int rowFloats = heads * headDim;
        if (this == BSHD) {
            dst.put(dstOffset, region, from * rowFloats, rows * rowFloats);
            return;
        }
        for (int h = 0; h < heads; h++) {
            int at = offset(from, h, regionRows, heads, headDim);
            for (int r = 0; r < rows; r++) {
                dst.put(dstOffset + r * rowFloats + h * headDim, region, at + r * headDim, headDim);
            }
        }
    }

    /** Writes {@code count} rows given as [rows][heads][headDim] at {@code srcOffset} of src into a region from {@code row}. */
    void write(FloatBuffer region, int regionRows, int heads, int headDim, int row, FloatBuffer src, int srcOffset, int count) {
        int rowFloats = heads * headDim;
        if (this == BSHD) {
            region.put(row * rowFloats, src, srcOffset, count * rowFloats);
            return;
        }
        for (int h = 0; h < heads; h++) {
            int at = offset(row, h, regionRows, heads, headDim);
            for (int r = 0; r < count; r++) {
                region.put(at + r * headDim, src, srcOffset + r * rowFloats + h * headDim, headDim);
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
