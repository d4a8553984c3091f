package dev.specserve.runtime.engine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Fixed-size slots of native memory for prefix-cache blocks, reused through a free list. Held on the Java
 * heap, hundreds of megabytes of cached key/value rows are copied by every young collection until they are
 * promoted (under load that made pauses of 30-60 ms); off-heap, the collector never sees them. Memory is
 * allocated in chunks as slots are first needed and kept up to {@code slots} slots: it is the cache's
 * budget, so it is never handed back.
 *
 * <p>Thread-safe for acquire and release. A slot's contents belong to whoever acquired it until it is released.
 */
final class BlockSlab {
    private static final int CHUNK_BYTES = 16 << 20;

    private final int slotFloats;
    private final int slots;
    private final int slotsPerChunk;
    private final List<FloatBuffer> chunks = new ArrayList<>();
    private final ArrayDeque<Integer> free = new ArrayDeque<>();
    private final BitSet inUse = new BitSet();
    private int made;

    BlockSlab(int slotFloats, int slots) {
        if (slotFloats <= 0 || slots < 0) {
            throw new IllegalArgumentException("slab of " + slots + " slots of " + slotFloats + " floats");
        }
        this.slotFloats = slotFloats;
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
        if (made % slotsPerChunk == 0) {
            int n = Math.min(slotsPerChunk, slots - made);
            chunks.add(ByteBuffer.allocateDirect(Math.multiplyExact(n * slotFloats, Float.BYTES))
                    .order(ByteOrder.nativeOrder()).asFloatBuffer());
        }
        return made++;
    }

    synchronized void release(int slot) {
        if (slot < 0 || !inUse.get(slot)) {
            throw new IllegalArgumentException("slot " + slot + " was not in use");
        }
        inUse.clear(slot);
        free.push(slot);
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

    int slotFloats() {
        return slotFloats;
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
