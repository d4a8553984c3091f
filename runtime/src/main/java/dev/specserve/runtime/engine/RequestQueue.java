package dev.specserve.runtime.engine;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.ToIntFunction;

/**
 * The bounded queue between request threads and the scheduler thread: requests wait here, validated and
 * tokenized, for a batch slot. Bounded by {@code capacity} only once the batch is full as well, so a burst
 * smaller than the batch is never refused.
 */
final class RequestQueue {
    private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final int capacity;
    private final int maxBatch;
    private boolean closed;

    RequestQueue(int capacity, int maxBatch) {
        this.capacity = capacity;
        this.maxBatch = maxBatch;
    }

    /**
     * Queues {@code p} and wakes the scheduler; false (nothing queued) when queue and batch are both full.
     *
     * @throws ServiceUnavailableException once {@link #drain} closed the queue (nobody would ever start it)
     */
    boolean offer(Pending p, int running) {
        lock.lock();
        try {
            if (closed) {
                throw ServiceUnavailableException.shuttingDown();
            }
            if (waiting.size() >= capacity + Math.max(0, maxBatch - running)) { // the batch's free slots take some
                return false;
            }
            waiting.add(p);
            work.signal();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The next request to start, or null: the oldest of those whose group holds the fewest batch slots
     * ({@code held} counts a group's), so one request's many choices cannot keep others waiting for their first
     * slot. Within a group, and among groups holding as many, first come first served; and the oldest of all once
     * it has waited half of what it may wait before it would be refused ({@code startBy}), so fairness never
     * makes a large request's later choices time out in the queue.
     */
    Pending poll(ToIntFunction<String> held, long nowNanos) {
        lock.lock();
        try {
            Pending oldest = waiting.peek();
            if (oldest != null && nowNanos - oldest.enqueued() >= (oldest.startBy() - oldest.enqueued()) / 2) {
                return waiting.poll();
            }
            Pending next = null;
            int fewest = Integer.MAX_VALUE;
            for (Pending p : waiting) { // oldest first; bounded by capacity + max_batch
                int h = held.applyAsInt(p.group());
                if (h < fewest) {
                    next = p;
                    fewest = h;
                    if (h == 0) {
                        break;
                    }
                }
            }
            if (next != null) {
                waiting.remove(next);
            }
            return next;
        } finally {
            lock.unlock();
        }
    }

    /** Removes and returns the waiting requests that match (cancelled or past their deadline, say). */
    List<Pending> removeIf(java.util.function.Predicate<Pending> gone) {
        lock.lock();
        try {
            if (waiting.isEmpty()) { // every scheduler iteration asks: nothing to allocate when nothing waits
                return List.of();
            }
            List<Pending> removed = waiting.stream().filter(gone).toList();
            waiting.removeAll(removed);
            return removed;
        } finally {
            lock.unlock();
        }
    }

    /** Blocks the scheduler until a request arrives, {@link #wakeAll} is called or {@code millis} pass. */
    void await(long millis) throws InterruptedException {
        lock.lock();
        try {
            if (waiting.isEmpty()) {
                work.await(millis, TimeUnit.MILLISECONDS);
            }
        } finally {
            lock.unlock();
        }
    }

    void wakeAll() {
        lock.lock();
        try {
            work.signalAll();
        } finally {
            lock.unlock();
        }
    }

    int size() {
        lock.lock();
        try {
            return waiting.size();
        } finally {
            lock.unlock();
        }
    }

    /** Empties and closes the queue (at shutdown), returning what waited; later offers are refused. */
    List<Pending> drain() {
        lock.lock();
        try {
            closed = true;
            List<Pending> all = List.copyOf(waiting);
            waiting.clear();
            return all;
        } finally {
            lock.unlock();
        }
    }
}
