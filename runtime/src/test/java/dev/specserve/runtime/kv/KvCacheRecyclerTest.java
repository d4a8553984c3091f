package dev.specserve.runtime.kv;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.FloatBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A cache handed back is the next sequence's, empty and as narrow as a new one; nothing else is kept. */
class KvCacheRecyclerTest {
    private static final int HEADS = 2;
    private static final int HEAD_DIM = 4;

    private final AtomicInteger allocated = new AtomicInteger();

    private KvCache allocate(int capacity) {
        allocated.incrementAndGet();
        return KvCache.standalone(KvLayout.BHSD, 1, HEADS, HEAD_DIM, capacity);
    }

    private static FloatBuffer[] rows(int n, float value) {
        FloatBuffer[] present = new FloatBuffer[2];
        for (int t = 0; t < 2; t++) {
            float[] f = new float[n * HEADS * HEAD_DIM];
            java.util.Arrays.fill(f, value);
            present[t] = FloatBuffer.wrap(f);
        }
        return present;
    }

    @Test
    void aCacheHandedBackIsTakenAgainEmptyAndNarrow() {
        KvCacheRecycler recycler = new KvCacheRecycler(2);
        KvCache first = recycler.take(300, this::allocate);
        first.appendAll(rows(200, 1f), 200);
        assertThat(first.pastRows()).as("grown past the first bucket").isGreaterThan(KvPool.BUCKET);

        recycler.give(first);
        KvCache second = recycler.take(300, this::allocate);

        assertThat(second).isSameAs(first);
        assertThat(allocated).hasValue(1);
        assertThat(second.length()).isZero();
        second.appendAll(rows(3, 2f), 3);
        assertThat(second.pastRows()).as("a short sequence attends over one bucket again").isEqualTo(KvPool.BUCKET);
        float[][] copied = second.copyRows(3);
        assertThat(copied[0]).containsOnly(2f);
    }

    @Test
    void keepsAtMostItsBoundAndOnlyServesTheCapacityAskedFor() {
        KvCacheRecycler recycler = new KvCacheRecycler(1);
        KvCache a = recycler.take(100, this::allocate);
        KvCache b = recycler.take(100, this::allocate);
        recycler.give(a);
        recycler.give(b);
        assertThat(recycler.size()).isEqualTo(1);

        KvCache other = recycler.take(200, this::allocate);

        assertThat(other.capacity()).isEqualTo(200);
        assertThat(allocated).hasValue(3);
        assertThat(recycler.size()).as("the 100-row cache still waits").isEqualTo(1);
        recycler.clear();
        assertThat(recycler.size()).isZero();
    }
}
