package dev.specserve.telemetry;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;

/**
 * A bounded FIFO that never blocks its producers: when adding would exceed the item or weight bound,
 * the oldest entries are evicted (and handed to a drop callback). Critical sections are O(1) amortised
 * and tiny, so {@link #offer} costs well under a microsecond uncontended.
 */
final class DropOldestBuffer<T> {

    private final ArrayDeque<T> deque;
    private final int maxItems;
    private final long maxWeight;
    private final ToLongFunction<? super T> weigher;
    private long weight;

    DropOldestBuffer(int maxItems, long maxWeight, ToLongFunction<? super T> weigher) {
        if (maxItems < 1 || maxWeight < 1) {
            throw new IllegalArgumentException("bounds must be >= 1");
        }
        this.deque = new ArrayDeque<>(Math.min(maxItems, 1024));
        this.maxItems = maxItems;
        this.maxWeight = maxWeight;
        this.weigher = weigher;
    }

    /** An item-bounded buffer (every item weighs 1). */
    static <T> DropOldestBuffer<T> ofItems(int maxItems) {
        return new DropOldestBuffer<>(maxItems, Long.MAX_VALUE, t -> 0L);
    }

    /**
     * Appends an item, first evicting the oldest entries as needed. An item heavier than the whole
     * weight bound is itself dropped.
     */
    synchronized void offer(T item, Consumer<? super T> onDrop) {
        long w = weigher.applyAsLong(item);
        if (w > maxWeight) {
            onDrop.accept(item);
            return;
        }
        while (!deque.isEmpty() && (deque.size() >= maxItems || weight + w > maxWeight)) {
            T evicted = deque.pollFirst();
            weight -= weigher.applyAsLong(evicted);
            onDrop.accept(evicted);
        }
        deque.addLast(item);
        weight += w;
    }

    /**
     * Puts an item back at the head (it was taken by {@link #poll} and could not be sent). Since it is
     * the oldest entry, it is the one dropped when there is no room.
     */
    synchronized void requeueFirst(T item, Consumer<? super T> onDrop) {
        long w = weigher.applyAsLong(item);
        if (deque.size() >= maxItems || weight + w > maxWeight) {
            onDrop.accept(item);
            return;
        }
        deque.addFirst(item);
        weight += w;
    }

    synchronized T poll() {
        T item = deque.pollFirst();
        if (item != null) {
            weight -= weigher.applyAsLong(item);
        }
        return item;
    }

    synchronized List<T> drain() {
        List<T> all = new ArrayList<>(deque);
        deque.clear();
        weight = 0;
        return all;
    }

    synchronized int size() {
        return deque.size();
    }

    synchronized long weight() {
        return weight;
    }

    synchronized boolean isEmpty() {
        return deque.isEmpty();
    }
}
