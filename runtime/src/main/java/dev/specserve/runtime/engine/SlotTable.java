package dev.specserve.runtime.engine;

import dev.specserve.runtime.kv.KvCache;
import dev.specserve.runtime.kv.KvPool;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Which request lives in which KV pool slot. Decoding sequences hold slots {@code 0..D-1}, the rows of the
 * batched round; sequences still prefilling hold {@code D..D+P-1}, oldest first, so the oldest one becomes
 * decoder D in place when its prompt is done. Removing either kind moves rows so both runs stay contiguous
 * (each move copies one sequence's live rows once).
 */
final class SlotTable<T> {
    private final KvPool pool;
    private final List<T> decoding = new ArrayList<>();
    private final List<T> prefilling = new ArrayList<>();
    private volatile int occupied;

    SlotTable(KvPool pool) {
        this.pool = pool;
    }

    int size() {
        return decoding.size() + prefilling.size();
    }

    /** {@link #size()} as last changed, for other threads (the engine's admission count). */
    int occupied() {
        return occupied;
    }

    boolean isEmpty() {
        return size() == 0;
    }

    /** Decoding sequences in slot order (slot i = element i). */
    List<T> decoding() {
        return Collections.unmodifiableList(decoding);
    }

    /** Prefilling sequences, oldest first (slot D + i = element i). */
    List<T> prefilling() {
        return Collections.unmodifiableList(prefilling);
    }

    /**
     * How many slots hold items of each key, counted once, on the first question (the queue asks for each waiting
     * request; the scheduler offers this every iteration, mostly to an empty queue that asks nothing).
     */
    <K> java.util.function.ToIntFunction<K> countBy(java.util.function.Function<T, K> key) {
        java.util.Map<K, Integer> held = new java.util.HashMap<>();
        boolean[] counted = {false};
        return k -> {
            if (!counted[0]) {
                counted[0] = true;
                decoding.forEach(item -> held.merge(key.apply(item), 1, Integer::sum));
                prefilling.forEach(item -> held.merge(key.apply(item), 1, Integer::sum));
            }
            return held.getOrDefault(k, 0);
        };
    }

    List<T> all() {
        List<T> all = new ArrayList<>(decoding);
        all.addAll(prefilling);
        return all;
    }

    /** Gives {@code item} the next free slot, as the newest prefilling sequence, and returns its empty cache. */
    KvCache admit(T item) {
        if (size() >= pool.slots()) {
            throw new IllegalStateException("all " + pool.slots() + " batch slots are taken");
        }
        KvCache cache = pool.acquire(size());
        prefilling.add(item);
        occupied = size();
        return cache;
    }

    /** The oldest prefilling sequence starts decoding; it already sits in slot D, so nothing moves. */
    void promoteOldest() {
        decoding.add(prefilling.remove(0));
    }

    /** Frees {@code item}'s slot, keeping the decoding and prefilling runs contiguous. */
    void remove(T item) {
        int total = size();
        int d = decoding.size();
        int i = decoding.indexOf(item);
        if (i >= 0) {
            if (i != d - 1) {
                pool.move(d - 1, i);
                decoding.set(i, decoding.get(d - 1));
            }
            decoding.remove(d - 1);
            for (int j = 0; j < prefilling.size(); j++) {
                pool.move(d + j, d - 1 + j);
            }
        } else {
            int j = prefilling.indexOf(item);
            if (j < 0) {
                return;
            }
            prefilling.remove(j);
            for (int k = j; k < prefilling.size(); k++) {
                pool.move(d + k + 1, d + k);
            }
        }
        occupied = size();
        pool.free(total - 1); // the vacated slot's rows no longer count towards the batch's stride
    }
}
