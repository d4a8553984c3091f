package dev.specserve.runtime.kv;

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
