package dev.specserve.runtime.kv;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.specserve.runtime.ort.Tensors;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * One sequence's key/value cache, owned by Java in direct buffers, one region per tensor laid out as the graph
 * reads it ({@link KvLayout}). The models return only the new rows of each call ([rows][heads][headDim]), so
 * appending the accepted rows of a verified tree and dropping the rejected ones costs a few row copies, never a
 * copy of the whole cache. Past tensors handed to ORT wrap these buffers without copying. Rows go in and out
 * of this class ({@link #copyRows}, {@link #appendAll}) as [rows][heads][headDim] whatever the layout.
 */
public final class KvCache {
    private final KvLayout layout;
    private final int heads;
    private final int headDim;
    private final int rowFloats;
    private final int capacity;
    private final KvPool owner;
    private FloatBuffer[] buffers;
    private int regionRows;
    private int length;

    /** A BSHD cache with a region of {@code capacity} rows. */
    public KvCache(int layers, int heads, int headDim, int capacity) {
        this(KvLayout.BSHD, allocate(2 * layers, (long) capacity * heads * headDim), heads, headDim, capacity, capacity,
                null);
    }

    /**
     * A cache over existing regions (a {@link KvPool} slot), one per tensor, each regionRows*heads*headDim
     * floats; when it needs more rows than its region holds (up to {@code capacity}) it asks the pool to widen.
     */
    KvCache(KvLayout layout, FloatBuffer[] regions, int heads, int headDim, int capacity, int regionRows, KvPool owner) {
        this.layout = layout;
        this.heads = heads;
        this.headDim = headDim;
        this.rowFloats = heads * headDim;
        this.capacity = capacity;
        this.regionRows = regionRows;
        this.owner = owner;
        this.buffers = regions;
    }

    /**
     * A cache of its own. A BHSD past must be contiguous per head, so such a cache is the one slot of its own
     * pool: its region grows in buckets and the graph sees {@link #pastRows()} rows, the ones past
     * {@link #length()} masked.
     */
    public static KvCache standalone(KvLayout layout, int layers, int heads, int headDim, int capacity) {
        return layout == KvLayout.BSHD ? new KvCache(layers, heads, headDim, capacity)
                : new KvPool(layers, heads, headDim, layout, 1, capacity).acquire(0);
    }

    /**
     * One direct buffer per key or value tensor. A buffer holds at most 2 GiB, so a pool whose slots x rows x row
     * width is larger is refused here, naming what to lower, instead of overflowing into a wrong size.
     */
    static FloatBuffer[] allocate(int tensors, long floats) {
        long bytes = floats * Float.BYTES;
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("the KV cache would need " + (bytes >> 20) + " MiB per layer's keys "
                    + "(and as much for its values; " + ((bytes * tensors) >> 20) + " MiB in all), over the 2 GiB a "
                    + "buffer holds: lower max_batch or max_model_len");
        }
        FloatBuffer[] b = new FloatBuffer[tensors];
        for (int i = 0; i < tensors; i++) {
            try {
                b[i] = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.nativeOrder()).asFloatBuffer();
            } catch (OutOfMemoryError e) {
                throw new IllegalArgumentException("the KV cache needs " + ((bytes * tensors) >> 20) + " MiB of direct "
                        + "memory and the JVM could not reserve it (" + e.getMessage() + "): lower max_batch or "
                        + "max_model_len, or raise -XX:MaxDirectMemorySize in JAVA_OPTS", e);
            }
        }
        return b;
    }

    public KvLayout layout() {
        return layout;
    }

    /**
     * Moves the live rows into other regions of {@code rows} rows and uses those from now on. The old and new
     * regions may overlap (a pool re-layout), so each run of rows goes through {@code scratch} (at least
     * {@link #moveScratchFloats()} floats): one bulk copy per tensor, or per tensor and head. Widening moves the
     * heads from the last (each lands at or after its old place), narrowing from the first, so no head is
     * overwritten before it has moved.
     */
    void moveTo(FloatBuffer[] regions, int rows, float[] scratch) {
        int run = layout == KvLayout.BSHD ? length * rowFloats : length * headDim;
        int runs = layout == KvLayout.BSHD ? 1 : heads;
        for (int t = 0; t < buffers.length; t++) {
            for (int k = 0; k < runs; k++) {
                int h = rows > regionRows ? runs - 1 - k : k;
                buffers[t].get(h * regionRows * headDim, scratch, 0, run);
                regions[t].put(h * rows * headDim, scratch, 0, run);
            }
        }
        buffers = regions;
        regionRows = rows;
    }

    /** Floats {@link #moveTo} needs in its scratch array. */
    int moveScratchFloats() {
        return layout == KvLayout.BSHD ? length * rowFloats : length * headDim;
    }

    /** Copies rows [0, rows) of every tensor out. */
    public float[][] copyRows(int rows) {
        return copyRows(0, rows);
    }

    /** Copies rows [from, from+rows) of every tensor out, [rows][heads][headDim] each (a prefix-cache block). */
    public float[][] copyRows(int from, int rows) {
        requireLive(from, rows);
        float[][] out = new float[buffers.length][rows * rowFloats];
        for (int t = 0; t < buffers.length; t++) {
            layout.read(buffers[t], regionRows, heads, headDim, from, rows, out[t], 0);
        }
        return out;
    }

    /** Copies rows [from, from+rows) of tensor {@code t} into {@code dst} from float {@code offset}, as [rows][heads][headDim]. */
    public void copyRows(int t, int from, int rows, FloatBuffer dst, int offset) {
        requireLive(from, rows);
        layout.copy(buffers[t], regionRows, heads, headDim, from, rows, dst, offset);
    }

    private void requireLive(int from, int rows) {
        if (from < 0 || from + rows > length) {
            throw new IllegalArgumentException("rows [" + from + ", " + (from + rows) + ") outside the " + length + " live rows");
        }
    }

    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    /** Floats of one row of one tensor: heads x headDim. */
    public int rowFloats() {
        return rowFloats;
    }

    public int tensorCount() {
        return buffers.length;
    }

    public long bytes() {
        return (long) buffers.length * capacity * rowFloats * Float.BYTES;
    }

    /**
     * Rows a past tensor of this cache spans: the live rows for BSHD, the whole region for BHSD (whose rows
     * beyond {@link #length()} the caller masks), except that an empty cache passes no rows at all, so a
     * prompt's first prefill chunk does not attend over a wide pool stride of masked rows.
     */
    public int pastRows() {
        return layout == KvLayout.BSHD || length == 0 ? length : regionRows;
    }

    /** Past tensors over {@link #pastRows()} rows, shaped as the layout says; the caller closes them. */
    public OnnxTensor[] pastTensors(OrtEnvironment env) throws OrtException {
        int rows = pastRows();
        long[] shape = layout.shape(1, rows, heads, headDim);
        return Tensors.all(buffers.length, i -> OnnxTensor.createTensor(env,
                buffers[i].duplicate().position(0).limit(rows * rowFloats).slice(), shape));
    }

    /**
     * Past tensors over this cache's whole region, after making room in it for {@code newRows} rows past the live
     * ones (a pool slot widens the pool now): what a graph that writes its new rows into the past in place takes
     * (the ragged graph). Those rows stay outside the cache until appended; the caller closes the tensors.
     */
    public OnnxTensor[] regionTensors(OrtEnvironment env, int newRows) throws OrtException {
        if (layout != KvLayout.BHSD || owner == null) {
            throw new IllegalStateException("only a BHSD pool slot is written in place, not a " + layout + " cache");
        }
        requireRoom(newRows);
        long[] shape = layout.shape(1, regionRows, heads, headDim);
        int floats = regionRows * rowFloats;
        return Tensors.all(buffers.length, i -> OnnxTensor.createTensor(env,
                buffers[i].duplicate().position(0).limit(floats).slice(), shape));
    }

    /**
     * Copies the {@code rows} rows a forward wrote in place after the live ones, of tensor {@code t}, into
     * {@code dst} from float {@code offset} as [rows][heads][headDim] (the tree contract's present rows).
     */
    public void copyWrittenRows(int t, int rows, FloatBuffer dst, int offset) {
        if (length + rows > regionRows) {
            throw new IllegalArgumentException(rows + " rows after the " + length + " live ones exceed the region's "
                    + regionRows);
        }
        layout.copy(buffers[t], regionRows, heads, headDim, length, rows, dst, offset);
    }

    /** Appends the chosen rows (indices into the call's new rows) of every present tensor. */
    public void append(FloatBuffer[] present, int[] rows) {
        requireRoom(rows.length);
        for (int t = 0; t < buffers.length; t++) {
            for (int j = 0; j < rows.length; j++) {
                write(t, length + j, present[t], rows[j] * rowFloats, 1);
            }
        }
        length += rows.length;
    }

    /** Appends rows [from, from+count) of the call's present tensors. */
    public void appendRange(FloatBuffer[] present, int from, int count) {
        requireRoom(count);
        for (int t = 0; t < buffers.length; t++) {
            write(t, length, present[t], from * rowFloats, count);
        }
        length += count;
    }

    /** Appends every row of the call's present tensors. */
    public void appendAll(FloatBuffer[] present, int count) {
        appendRange(present, 0, count);
    }

    /** Keeps rows {@code from + keep[j]} (ascending) packed from {@code from}; drops the other rows after {@code from}. */
    public void retain(int from, int[] keep) {
        for (int t = 0; t < buffers.length; t++) {
            FloatBuffer src = buffers[t].duplicate();
            for (int j = 0; j < keep.length; j++) {
                int srcRow = from + keep[j];
                if (srcRow == from + j) {
                    continue;
                }
                if (layout == KvLayout.BSHD) {
                    buffers[t].put((from + j) * rowFloats, src, srcRow * rowFloats, rowFloats);
                } else {
                    for (int h = 0; h < heads; h++) {
                        buffers[t].put(at(from + j, h), src, at(srcRow, h), headDim);
                    }
                }
            }
        }
        length = from + keep.length;
    }

    /** Empties the cache for another sequence; a pool slot of its own narrows back to the first bucket. */
    void reset() {
        truncate(0);
        if (owner != null && owner.slots() == 1) {
            owner.fit();
        }
    }

    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cannot truncate a cache of " + length + " rows to " + newLength);
        }
        length = newLength;
    }

    /** Writes {@code count} rows given as [rows][heads][headDim] at {@code srcOffset} of src into rows from {@code row}. */
    private void write(int t, int row, FloatBuffer src, int srcOffset, int count) {
        layout.write(buffers[t], regionRows, heads, headDim, row, src, srcOffset, count);
    }

    private int at(int row, int head) {
        return layout.offset(row, head, regionRows, heads, headDim);
    }

    private void requireRoom(int rows) {
        if (length + rows > capacity) {
            throw new IllegalStateException("KV cache full: " + length + " + " + rows + " rows > capacity " + capacity);
        }
        if (length + rows > regionRows) {
            owner.grow(length + rows); // a pool slot: widens every slot, then moves this one to its wider region
        }
    }
}
