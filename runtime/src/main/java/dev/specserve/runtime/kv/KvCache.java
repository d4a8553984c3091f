package dev.specserve.runtime.kv;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * One sequence's key/value cache, owned by Java in direct buffers laid out [row][heads][headDim] per tensor.
 * The models return only the new rows of each call, so appending the accepted rows of a verified tree
 * and dropping the rejected ones costs a few row copies, never a copy of the whole cache. Past tensors
 * handed to ORT wrap these buffers without copying.
 */
public final class KvCache {
    private final int heads;
    private final int headDim;
    private final int rowFloats;
    private final int capacity;
    private final KvPool owner;
    private FloatBuffer[] buffers;
    private int regionRows;
    private int length;

    public KvCache(int layers, int heads, int headDim, int capacity) {
        this(allocate(2 * layers, capacity * heads * headDim), heads, headDim, capacity, capacity, null);
    }

    /**
     * A cache over existing regions (a {@link KvPool} slot), one per tensor, each regionRows*heads*headDim
     * floats; when it needs more rows than its region holds (up to {@code capacity}) it asks the pool to widen.
     */
    KvCache(FloatBuffer[] regions, int heads, int headDim, int capacity, int regionRows, KvPool owner) {
        this.heads = heads;
        this.headDim = headDim;
        this.rowFloats = heads * headDim;
        this.capacity = capacity;
        this.regionRows = regionRows;
        this.owner = owner;
        this.buffers = regions;
    }

    static FloatBuffer[] allocate(int tensors, int floats) {
        FloatBuffer[] b = new FloatBuffer[tensors];
        for (int i = 0; i < tensors; i++) {
            b[i] = ByteBuffer.allocateDirect(floats * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
        }
        return b;
    }

    int rowFloats() {
        return rowFloats;
    }

    /** Moves the live rows into other regions of {@code rows} rows and uses those from now on. */
    void rebind(FloatBuffer[] regions, int rows) {
        for (int t = 0; t < buffers.length; t++) {
            regions[t].put(0, buffers[t], 0, length * rowFloats);
        }
        bind(regions, rows);
    }

    /** Uses other regions of {@code rows} rows that already hold the live rows (the pool moved them). */
    void bind(FloatBuffer[] regions, int rows) {
        buffers = regions;
        regionRows = rows;
    }

    /** Copies rows [0, rows) of every tensor out. */
    public float[][] copyRows(int rows) {
        return copyRows(0, rows);
    }

    /** Copies rows [from, from+rows) of every tensor out, for the prefix cache (one block). */
    public float[][] copyRows(int from, int rows) {
        if (from < 0 || from + rows > length) {
            throw new IllegalArgumentException("rows [" + from + ", " + (from + rows) + ") outside the " + length + " live rows");
        }
        float[][] out = new float[buffers.length][rows * rowFloats];
        for (int t = 0; t < buffers.length; t++) {
            buffers[t].get(from * rowFloats, out[t], 0, rows * rowFloats);
        }
        return out;
    }

    /** Replaces the content with the given rows (a prefix-cache hit). */
    public void load(float[][] rows, int count) {
        if (count > capacity) {
            throw new IllegalStateException("prefix of " + count + " rows exceeds the cache capacity " + capacity);
        }
        length = 0;
        requireRoom(count);
        for (int t = 0; t < buffers.length; t++) {
            buffers[t].put(0, rows[t], 0, count * rowFloats);
        }
        length = count;
    }

    /** Appends {@code count} rows given per tensor as heap arrays (a prefix-cache block), one copy. */
    public void appendRows(float[][] rows, int count) {
        requireRoom(count);
        for (int t = 0; t < buffers.length; t++) {
            buffers[t].put(length * rowFloats, rows[t], 0, count * rowFloats);
        }
        length += count;
    }

    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    public int tensorCount() {
        return buffers.length;
    }

    public long bytes() {
        return (long) buffers.length * capacity * rowFloats * Float.BYTES;
    }

    /** The live rows of tensor t, head-major [heads][length][headDim] (a copy, for graphs that take BHSD past). */
    public float[] headMajor(int t) {
        float[] out = new float[length * rowFloats];
        FloatBuffer b = buffers[t];
        for (int r = 0; r < length; r++) {
            for (int h = 0; h < heads; h++) {
                b.get(r * rowFloats + h * headDim, out, (h * length + r) * headDim, headDim);
            }
        }
        return out;
    }

    /** Tensors of shape [1, length, heads, headDim] over the live rows; the caller closes them. */
    public OnnxTensor[] pastTensors(OrtEnvironment env) throws OrtException {
        OnnxTensor[] out = new OnnxTensor[buffers.length];
        long[] shape = {1, length, heads, headDim};
        try {
            for (int i = 0; i < buffers.length; i++) {
                out[i] = OnnxTensor.createTensor(env, buffers[i].duplicate().position(0).limit(length * rowFloats).slice(), shape);
            }
        } catch (OrtException | RuntimeException e) {
            for (OnnxTensor t : out) {
                if (t != null) {
                    t.close();
                }
            }
            throw e;
        }
        return out;
    }

    /** Appends the chosen rows (indices into the call's new rows) of every present tensor. */
    public void append(FloatBuffer[] present, int[] rows) {
        requireRoom(rows.length);
        for (int t = 0; t < buffers.length; t++) {
            for (int j = 0; j < rows.length; j++) {
                buffers[t].put((length + j) * rowFloats, present[t], rows[j] * rowFloats, rowFloats);
            }
        }
        length += rows.length;
    }

    /** Appends rows [from, from+count) of the call's present tensors. */
    public void appendRange(FloatBuffer[] present, int from, int count) {
        requireRoom(count);
        for (int t = 0; t < buffers.length; t++) {
            buffers[t].put(length * rowFloats, present[t], from * rowFloats, count * rowFloats);
        }
        length += count;
    }

    /** Appends every row of the call's present tensors. */
    public void appendAll(FloatBuffer[] present, int count) {
        requireRoom(count);
        for (int t = 0; t < buffers.length; t++) {
            buffers[t].put(length * rowFloats, present[t], 0, count * rowFloats);
        }
        length += count;
    }

    /** Keeps rows {@code from + keep[j]} (ascending) packed from {@code from}; drops the other rows after {@code from}. */
    public void retain(int from, int[] keep) {
        for (int t = 0; t < buffers.length; t++) {
            FloatBuffer src = buffers[t].duplicate();
            for (int j = 0; j < keep.length; j++) {
                int srcRow = from + keep[j];
                if (srcRow != from + j) {
                    buffers[t].put((from + j) * rowFloats, src, srcRow * rowFloats, rowFloats);
                }
            }
        }
        length = from + keep.length;
    }

    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cannot truncate a cache of " + length + " rows to " + newLength);
        }
        length = newLength;
    }

    /** Copies the first {@code rows} rows into a fresh cache (prefix-cache hits, forks). */
    public KvCache copyPrefix(int rows, int newCapacity) {
        KvCache c = new KvCache(buffers.length / 2, heads, headDim, newCapacity);
        c.appendAll(buffers, rows);
        return c;
    }

    private void requireRoom(int rows) {
        if (length + rows > capacity) {
            throw new IllegalStateException("KV cache full: " + length + " + " + rows + " rows > capacity " + capacity);
        }
        if (length + rows > regionRows) {
            owner.grow(length + rows); // a pool slot: widens every slot, then binds this one to its wider region
        }
    }
}
