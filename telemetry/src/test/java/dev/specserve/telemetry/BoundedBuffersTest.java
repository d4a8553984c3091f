package dev.specserve.telemetry;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class BoundedBuffersTest {

    @Test
    void fullBufferDropsTheOldestEntriesFirst() {
        DropOldestBuffer<Integer> buffer = DropOldestBuffer.ofItems(3);
        List<Integer> dropped = new ArrayList<>();

        for (int i = 1; i <= 5; i++) {
            buffer.offer(i, dropped::add);
        }

        assertThat(dropped).containsExactly(1, 2);
        assertThat(buffer.drain()).containsExactly(3, 4, 5);
    }

    @Test
    void weightBoundEvictsUntilTheNewEntryFitsAndRejectsOversizedEntries() {
        DropOldestBuffer<Integer> buffer = new DropOldestBuffer<>(100, 10, i -> i);
        List<Integer> dropped = new ArrayList<>();

        buffer.offer(4, dropped::add);
        buffer.offer(4, dropped::add);
        buffer.offer(5, dropped::add);
        buffer.offer(11, dropped::add);

        assertThat(dropped).containsExactly(4, 11);
        assertThat(buffer.weight()).isEqualTo(9);
        assertThat(buffer.size()).isEqualTo(2);
    }

    @Test
    void requeuedEntryGoesBackToTheHeadOrIsDroppedWhenThereIsNoRoom() {
        DropOldestBuffer<Integer> buffer = DropOldestBuffer.ofItems(2);
        List<Integer> dropped = new ArrayList<>();
        buffer.offer(1, dropped::add);
        buffer.offer(2, dropped::add);

        Integer head = buffer.poll();
        buffer.requeueFirst(head, dropped::add);
        assertThat(buffer.poll()).isEqualTo(1);

        buffer.offer(3, dropped::add);
        buffer.requeueFirst(1, dropped::add);
        assertThat(dropped).containsExactly(1);
        assertThat(buffer.drain()).containsExactly(2, 3);
    }

    @Test
    void tokenBucketAllowsOneSecondOfBurstThenTheConfiguredRate() {
        AtomicLong now = new AtomicLong();
        TokenBucket bucket = new TokenBucket(1000, 1000, now::get);

        assertThat(bucket.tryAcquire(600)).isTrue();
        assertThat(bucket.tryAcquire(600)).isFalse();
        assertThat(bucket.tryAcquire(400)).isTrue();
        assertThat(bucket.tryAcquire(1)).isFalse();

        now.addAndGet(250_000_000L); // 250 ms -> 250 tokens
        assertThat(bucket.tryAcquire(251)).isFalse();
        assertThat(bucket.tryAcquire(250)).isTrue();

        now.addAndGet(10_000_000_000L); // refill is capped at the burst
        assertThat(bucket.tryAcquire(1001)).isFalse();
        assertThat(bucket.tryAcquire(1000)).isTrue();
    }
}
