package dev.specserve.runtime.engine;

import dev.specserve.runtime.kv.KvCache;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Fixed-size slots of native memory for prefix-cache blocks, reused through a free list. A slot holds one
 * block of {@code block} positions: each KV tensor's rows [block][heads][headDim], then the hidden states
 * [block][dim]. Held on the Java
 * heap, hundreds of megabytes of cached key/value rows are copied by every young collection until they are
 * promoted; off-heap, the collector never sees them. Memory is allocated in chunks and kept up to
 * {@code slots} slots: it is the cache's budget, so it is never handed back. Fresh memory is expensive to
 * touch for the first time (page faults), so {@link #reserveInBackground()} allocates the chunks ahead of
 * use on a daemon thread; a chunk needed before that thread got to it is allocated on the spot.
 *
 * <p>Thread-safe for acquire and release. A slot's contents belong to whoever acquired it until it is released.
 */
final class BlockSlab {
    private static final int CHUNK_BYTES = 16 << 20;

    private final int tensors;
    private final int rowFloats;
    private final int dim;
    private final int block;
    private final int slotFloats;
    private final int slots;
    private final int slotsPerChunk;
    private final List<FloatBuffer> chunks = new ArrayList<>();
    private final ArrayDeque<Integer> free = new ArrayDeque<>();
    private final BitSet inUse = new BitSet();
    private int made;

    /** A slab of at most {@code maxBytes / slot bytes} slots for blocks of this shape. */
    static BlockSlab forBytes(int tensors, int rowFloats, int dim, int block, long maxBytes) {
        long slotBytes = ((long) tensors * block * rowFloats + (long) block * dim) * Float.BYTES;
        return new BlockSlab(tensors, rowFloats, dim, block, (int) Math.min(Integer.MAX_VALUE, maxBytes / slotBytes));
    }

    BlockSlab(int tensors, int rowFloats, int dim, int block, int slots) {
        this.slotFloats = Math.multiplyExact(block, Math.addExact(Math.multiplyExact(tensors, rowFloats), dim));
        if (slotFloats <= 0 || slots < 0) {
            throw new IllegalArgumentException("slab of " + slots + " slots of " + slotFloats + " floats");
        }
        this.tensors = tensors;
        this.rowFloats = rowFloats;
        this.dim = dim;
        this.block = block;
        this.slots = slots;
        this.slotsPerChunk = Math.max(1, CHUNK_BYTES / (slotFloats * Float.BYTES));
    }

    /** A free slot, or -1 when all {@code slots} are in use. */
    synchronized int acquire() {
        Integer reused = free.poll();
        if (reused != null) {
            inUse.set(reused);
            return reused;
        }
        if (made == slots) {
            return -1;
        }
        inUse.set(made);
        if (made / slotsPerChunk >= chunks.size()) {
            chunks.add(newChunk(chunks.size()));
        }
        return made++;
    }

    /** Allocates every chunk not allocated yet, one by one, on a daemon thread. */
    void reserveInBackground() {
        Thread t = new Thread(() -> {
            while (true) {
                int index;
                synchronized (this) {
                    index = chunks.size();
                }
                if (index * (long) slotsPerChunk >= slots) {
                    return;
                }
                FloatBuffer chunk = newChunk(index); // the slow part, outside the lock
                synchronized (this) {
                    if (chunks.size() == index) {
                        chunks.add(chunk);
                    }
                }
            }
        }, "specserve-prefix-cache-reserve");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
    }

    private FloatBuffer newChunk(int index) {
        int n = (int) Math.min(slotsPerChunk, slots - (long) index * slotsPerChunk);
        return ByteBuffer.allocateDirect(Math.multiplyExact(n * slotFloats, Float.BYTES))
                .order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    synchronized void release(int slot) {
        if (slot < 0 || !inUse.get(slot)) {
            throw new IllegalArgumentException("slot " + slot + " was not in use");
        }
        inUse.clear(slot);
        free.push(slot);
    }

    /** Whether blocks of {@code kv}'s rows and {@code dim}-wide hidden states have this slab's shape. */
    boolean fits(KvCache kv, int dim) {
        return kv.tensorCount() == tensors && kv.rowFloats() == rowFloats && dim == this.dim;
    }

    /** Copies rows [fromRow, fromRow + block) of every tensor of {@code kv}, and their hidden states, into the slot. */
    void write(int slot, KvCache kv, int fromRow, float[] hidden) {
        for (int t = 0; t < tensors; t++) {
            kv.copyRows(t, fromRow, block, kv(slot, t), 0);
        }
        hidden(slot).put(hidden, fromRow * dim, block * dim);
    }

    int kvTensors() {
        return tensors;
    }

    int dim() {
        return dim;
    }

    /** Tensor {@code t}'s rows in the slot, [block][heads][headDim]. */
    FloatBuffer kv(int slot, int t) {
        return view(slot, t * block * rowFloats, block * rowFloats);
    }

    /** The slot's hidden states, [block][dim]. */
    FloatBuffer hidden(int slot) {
        return view(slot, tensors * block * rowFloats, block * dim);
    }

    long slotBytes() {
        return (long) slotFloats * Float.BYTES;
    }

    /** Slot {@code slot}'s floats {@code [from, from + count)}. */
    FloatBuffer view(int slot, int from, int count) {
        FloatBuffer chunk;
        synchronized (this) {
            chunk = chunks.get(slot / slotsPerChunk);
        }
        int at = (slot % slotsPerChunk) * slotFloats + from;
        return chunk.duplicate().position(at).limit(at + count).slice();
    }

    /** Slots in use. */
    synchronized int used() {
        return inUse.cardinality();
    }

    /** Native bytes allocated so far. */
    synchronized long allocatedBytes() {
        long b = 0;
        for (FloatBuffer c : chunks) {
            b += (long) c.capacity() * Float.BYTES;
        }
        return b;
    }
}
