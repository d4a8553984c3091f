package dev.specserve.runtime.kv;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import java.nio.FloatBuffer;

/**
 * KV memory for a batch of sequences: per tensor one direct buffer of {@code slots x capacity} rows.
 * Sequence i of a batch lives in slot i, so the first B slots form a [B, capacity, heads, headDim]
 * past tensor without any copy. Rows beyond a sequence's length are masked out by the caller.
 */
public final class KvPool {
    private final int slots;
    private final int capacity;
    private final int heads;
    private final int headDim;
    private final FloatBuffer[] buffers;
    private final KvCache[] caches;

    public KvPool(int layers, int heads, int headDim, int slots, int capacity) {
        this.slots = slots;
        this.capacity = capacity;
        this.heads = heads;
        this.headDim = headDim;
        int slotFloats = capacity * heads * headDim;
        this.buffers = KvCache.allocate(2 * layers, slots * slotFloats);
        this.caches = new KvCache[slots];
        for (int s = 0; s < slots; s++) {
            caches[s] = new KvCache(regions(s), heads, headDim, capacity);
        }
    }

    private FloatBuffer[] regions(int slot) {
        int slotFloats = capacity * heads * headDim;
        FloatBuffer[] r = new FloatBuffer[buffers.length];
        for (int t = 0; t < buffers.length; t++) {
            r[t] = buffers[t].duplicate().position(slot * slotFloats).limit((slot + 1) * slotFloats).slice();
        }
        return r;
    }

    public int slots() {
        return slots;
    }

    public int capacity() {
        return capacity;
    }

    public long bytes() {
        return (long) buffers.length * buffers[0].capacity() * Float.BYTES;
    }

    /** The cache living in {@code slot}, emptied. */
    public KvCache acquire(int slot) {
        caches[slot].truncate(0);
        return caches[slot];
    }

    /** Moves the sequence in slot {@code from} to slot {@code to}; its KvCache object follows. */
    public KvCache move(int from, int to) {
        KvCache c = caches[from];
        KvCache vacated = caches[to];
        vacated.truncate(0);
        c.rebind(regions(to));
        vacated.rebind(regions(from));
        caches[to] = c;
        caches[from] = vacated;
        return c;
    }

    public KvCache cacheAt(int slot) {
        return caches[slot];
    }

    /** Past tensors [batch, capacity, heads, headDim] over slots 0..batch-1; the caller closes them. */
    public OnnxTensor[] batchPast(OrtEnvironment env, int batch) throws OrtException {
        int floats = batch * capacity * heads * headDim;
        OnnxTensor[] out = new OnnxTensor[buffers.length];
        long[] shape = {batch, capacity, heads, headDim};
        try {
            for (int t = 0; t < buffers.length; t++) {
                out[t] = OnnxTensor.createTensor(env, buffers[t].duplicate().position(0).limit(floats).slice(), shape);
            }
        } catch (OrtException | RuntimeException e) {
            for (OnnxTensor x : out) {
                if (x != null) {
                    x.close();
                }
            }
            throw e;
        }
        return out;
    }
}
