package dev.specserve.drafters.update;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Recent verifier labels, split deterministically into training and held-out sets (every
 * {@code heldOutEvery}-th sample is held out), each bounded so old samples age out under drift.
 */
public final class SampleBuffer {
    private final int capacity;
    private final int heldOutEvery;
    private final ArrayDeque<AdapterSample> train = new ArrayDeque<>();
    private final ArrayDeque<AdapterSample> heldOut = new ArrayDeque<>();
    private long added;
    private long addedSinceMark;

    public SampleBuffer(int capacity, int heldOutEvery) {
        this.capacity = capacity;
        this.heldOutEvery = heldOutEvery;
    }

    public synchronized void add(AdapterSample s) {
        added++;
        addedSinceMark++;
        ArrayDeque<AdapterSample> target = added % heldOutEvery == 0 ? heldOut : train;
        target.addLast(s);
        int cap = target == heldOut ? Math.max(1, capacity / heldOutEvery) : capacity;
        while (target.size() > cap) {
            target.removeFirst();
        }
    }

    public synchronized List<AdapterSample> training() {
        return new ArrayList<>(train);
    }

    public synchronized List<AdapterSample> heldOut() {
        return new ArrayList<>(heldOut);
    }

    /** Samples added since the last {@link #markUsed()}: the "fresh" data an update would learn from. */
    public synchronized long fresh() {
        return addedSinceMark;
    }

    public synchronized void markUsed() {
        addedSinceMark = 0;
    }

    /** Forgets every sample (they no longer describe the drafter in use). */
    public synchronized void clear() {
        train.clear();
        heldOut.clear();
        addedSinceMark = 0;
    }

    public synchronized long total() {
        return added;
    }
}
