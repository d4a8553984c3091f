package dev.specserve.runtime.kv;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.specserve.runtime.ort.Tensors;
import java.nio.FloatBuffer;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BooleanSupplier;

/**
 * KV memory for a batch of sequences: per tensor one direct buffer of {@code slots x capacity} rows.
 *
 * <p>Sequence i of a batch lives in slot i, and slot i occupies rows {@code [i*stride, i*stride + stride)}
 * of every buffer, where the stride is NOT the capacity but the smallest multiple of {@link #BUCKET} rows
 * that holds the longest live sequence. So the first B slots form a [B, stride, heads, headDim] past tensor
 * without any copy, and a batched forward attends over the rows the batch needs, not over the context
 * plus a full tree for every sequence. When a sequence outgrows the stride (a prefill, an accepted path),
 * the pool re-lays every live slot out at a wider stride; when long sequences leave, {@link #fit()}
 * narrows it again. Both copy only the live rows, once, and shapes repeat in steps of {@link #BUCKET}.
 * Rows beyond a sequence's length are masked out by the caller. Inside a slot the rows are laid out as the
 * graph reads them ({@link KvLayout}): the first B slots are a [B, rows, heads, headDim] or a
 * [B, heads, rows, headDim] past.
 */
public final class KvPool {
    /** Stride granularity in rows: batched shapes repeat in these steps. */
    public static final int BUCKET = 64;

    private final KvLayout layout;
    private final int slots;
    private final int capacity;
    private final int rowFloats;
    private final int heads;
    private final int headDim;
    private final FloatBuffer[] buffers;
    private final KvCache[] caches;
    /** Held shared while another thread works in one slot ({@link #withLayoutFixed}); moves take it exclusively. */
    private final ReentrantReadWriteLock layoutLock = new ReentrantReadWriteLock();
    private volatile int stride;
    private int reservedRows; // rows a slot may still reach while another thread works in it (see reserve)
    private long relayouts;
    private long relayoutNanos;

    public KvPool(int layers, int heads, int headDim, int slots, int capacity) {
        this(layers, heads, headDim, KvLayout.BSHD, slots, capacity);
    }

    public KvPool(int layers, int heads, int headDim, KvLayout layout, int slots, int capacity) {
        this.layout = layout;
        this.slots = slots;
        this.capacity = capacity;
        this.heads = heads;
        this.headDim = headDim;
        this.rowFloats = heads * headDim;
        this.buffers = KvCache.allocate(2 * layers, (long) slots * capacity * rowFloats);
        this.stride = Math.min(capacity, BUCKET);
        this.caches = new KvCache[slots];
        for (int s = 0; s < slots; s++) {
            caches[s] = new KvCache(layout, regions(s, stride), heads, headDim, capacity, stride, this);
        }
    }

    private FloatBuffer[] regions(int slot, int stride) {
        int slotFloats = stride * rowFloats;
        FloatBuffer[] r = new FloatBuffer[buffers.length];
        for (int t = 0; t < buffers.length; t++) {
            r[t] = buffers[t].duplicate().position(slot * slotFloats).limit((slot + 1) * slotFloats).slice();
        }
        return r;
    }

    public int slots() {
        return slots;
    }

    /** The most rows one sequence may hold. */
    public int capacity() {
        return capacity;
    }

    /** Rows per slot right now: the past length every sequence of a batched forward attends over. */
    public int rows() {
        return stride;
    }

    /** Re-layouts so far (each copies the live rows once) and the time they took, for the notes. */
    public long relayouts() {
        return relayouts;
    }

    public long relayoutNanos() {
        return relayoutNanos;
    }

    public long bytes() {
        return (long) buffers.length * buffers[0].capacity() * Float.BYTES;
    }

    /** The cache living in {@code slot}, emptied. */
    public KvCache acquire(int slot) {
        caches[slot].truncate(0);
        return caches[slot];
    }

    /** Empties {@code slot}: its rows stop counting towards the stride and are not moved by a re-layout. */
    public void free(int slot) {
        layoutLock.writeLock().lock();
        try {
            caches[slot].truncate(0);
        } finally {
            layoutLock.writeLock().unlock();
        }
    }

    /** Moves the sequence in slot {@code from} to slot {@code to}; its KvCache object follows. */
    public KvCache move(int from, int to) {
        layoutLock.writeLock().lock();
        try {
            KvCache c = caches[from];
            KvCache vacated = caches[to];
            vacated.truncate(0);
            c.moveTo(regions(to, stride), stride, new float[c.moveScratchFloats()]);
            vacated.moveTo(regions(from, stride), stride, new float[0]);
            caches[to] = c;
            caches[from] = vacated;
            return c;
        } finally {
            layoutLock.writeLock().unlock();
        }
    }

    /**
     * Runs {@code work} (one slot's forward and append, on a thread other than the one batching) while no slot
     * can move: a re-layout or a move started meanwhile waits until it returns. The slot's rows must have been
     * {@link #reserve reserved} first, since the work itself may not re-lay the pool out.
     */
    public boolean withLayoutFixed(BooleanSupplier work) {
        layoutLock.readLock().lock();
        try {
            return work.getAsBoolean();
        } finally {
            layoutLock.readLock().unlock();
        }
    }

    /**
     * Widens the stride now, if needed, so that a sequence of {@code rows} rows fits without a re-layout, and
     * keeps {@link #fit} from narrowing below it until {@link #endReservations}.
     */
    public void reserve(int rows) {
        grow(rows);
        reservedRows = Math.max(reservedRows, rows);
    }

    public void endReservations() {
        reservedRows = 0;
    }

    /** Widens the stride now, if needed, so that every slot has room for {@code rows} rows (a forward in place). */
    public void ensureRows(int rows) {
        grow(rows);
    }

    public KvCache cacheAt(int slot) {
        return caches[slot];
    }

    /**
     * Narrows the stride to the bucket the longest live sequence needs, if that is smaller than now
     * (long sequences left), and returns the stride: the past rows of the next batched forward.
     */
    public int fit() {
        int want = bucketFor(Math.max(longest(), reservedRows));
        if (want < stride) {
            relayout(want);
        }
        return stride;
    }

    /** Called by a slot's cache that needs {@code rows} rows: widens every slot's region to hold them. */
    void grow(int rows) {
        if (rows > capacity) {
            throw new IllegalStateException("KV cache full: " + rows + " rows > capacity " + capacity);
        }
        if (rows > stride) {
            if (layoutLock.getReadHoldCount() > 0) {
                throw new IllegalStateException("a slot needs " + rows + " rows but only " + stride
                        + " were reserved before work that holds the layout fixed");
            }
            relayout(bucketFor(rows));
        }
    }

    private int longest() {
        int max = 0;
        for (KvCache c : caches) {
            max = Math.max(max, c.length());
        }
        return max;
    }

    private int bucketFor(int rows) {
        int b = Math.max(BUCKET, (rows + BUCKET - 1) / BUCKET * BUCKET);
        return Math.min(capacity, b);
    }

    /**
     * Moves every slot's live rows to the new stride. Widening walks slots from the last (their new places
     * lie at or after the old ones), narrowing from the first, so a slot never overwrites live rows of a
     * slot not yet moved; each slot goes through a heap copy because its old and new rows may overlap.
     */
    private void relayout(int newStride) {
        layoutLock.writeLock().lock();
        try {
            relayoutLocked(newStride);
        } finally {
            layoutLock.writeLock().unlock();
        }
    }

    private void relayoutLocked(int newStride) {
        long t0 = System.nanoTime();
        boolean widening = newStride > stride;
        int scratch = 0;
        for (KvCache c : caches) {
            scratch = Math.max(scratch, c.moveScratchFloats());
        }
        float[] buffer = new float[scratch];
        for (int k = 0; k < slots; k++) {
            int s = widening ? slots - 1 - k : k;
            caches[s].moveTo(regions(s, newStride), newStride, buffer);
        }
        stride = newStride;
        relayouts++;
        relayoutNanos += System.nanoTime() - t0;
    }

    /** Past tensors over slots 0..batch-1, [batch, rows(), heads, headDim] or BHSD; the caller closes them. */
    public OnnxTensor[] batchPast(OrtEnvironment env, int batch) throws OrtException {
        int floats = batch * stride * rowFloats;
        long[] shape = layout.shape(batch, stride, heads, headDim);
        return Tensors.all(buffers.length, t -> OnnxTensor.createTensor(env,
                buffers[t].duplicate().position(0).limit(floats).slice(), shape));
    }
}
