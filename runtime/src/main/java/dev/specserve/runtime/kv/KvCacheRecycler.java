package dev.specserve.runtime.kv;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.IntFunction;

/**
 * Caches handed back for the next sequence instead of allocated anew. A fresh cache is fresh direct memory, zeroed
 * and faulted in page by page: a few ms per MiB on a virtual machine (docs/performance.md, "Session 18"), paid
 * before the sequence's first round, where no later round can hide it. A taken cache is empty ({@code length} 0)
 * and as narrow as a new one; its old rows are never read, since every read stops at the cache's length or is
 * masked. Holds at most {@code keep} caches (the peak of sequences alive at once, in practice). Thread-safe.
 */
public final class KvCacheRecycler {
    private final int keep;
    private final Deque<KvCache> free = new ArrayDeque<>();

    public KvCacheRecycler(int keep) {
        this.keep = keep;
    }

    /** An empty cache of {@code capacity} rows: one handed back, or else {@code allocate}'s. */
    public KvCache take(int capacity, IntFunction<KvCache> allocate) {
        synchronized (free) {
            for (var it = free.iterator(); it.hasNext(); ) {
                KvCache c = it.next();
                if (c.capacity() == capacity) {
                    it.remove();
                    return c;
                }
            }
        }
        return allocate.apply(capacity);
    }

    /** Hands {@code cache} back; its owner must not touch it again. */
    public void give(KvCache cache) {
        cache.reset();
        synchronized (free) {
            if (free.size() < keep) {
                free.push(cache);
            }
        }
    }

    /** Lets every held cache go (its owner is closing). */
    public void clear() {
        synchronized (free) {
            free.clear();
        }
    }

    /** Caches held for reuse. */
    public int size() {
        synchronized (free) {
            return free.size();
        }
    }
}
