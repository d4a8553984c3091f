package dev.specserve.bandit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The meter is a time-sorted window of rounds: it answers as a plain list of every round kept would. */
class CapacityMeterTest {
    record Round(long atMs, int tokens, long busyNanos) {}

    /** What the meter must answer: every round within the retention of the newest, summed by brute force. */
    static CapacityMeter.Window expected(List<Round> all, long watermark, long retention, long from, long to) {
        long n = 0;
        long tokens = 0;
        long busy = 0;
        for (Round r : all) {
            if (r.atMs() >= watermark - retention && r.atMs() >= from && r.atMs() < to) {
                n++;
                tokens += r.tokens();
                busy += r.busyNanos();
            }
        }
        return new CapacityMeter.Window(from, to, n, tokens, busy / 1e9);
    }

    @Test
    void late_and_out_of_order_rounds_across_many_ring_wraps_sum_as_a_sorted_list_would() {
        long retention = 5_000;
        CapacityMeter m = new CapacityMeter(retention);
        Random random = new Random(7);
        List<Round> added = new ArrayList<>();
        long clock = 0;
        long watermark = Long.MIN_VALUE;
        for (int i = 0; i < 60_000; i++) { // ~30 s of rounds at 2 per ms: the ring fills, grows and wraps
            clock += random.nextInt(2);
            long at = random.nextInt(10) == 0 ? clock - random.nextInt(3_000) : clock; // a tenth arrive late
            Round r = new Round(at, 1 + random.nextInt(5), 1 + random.nextInt(4_000_000));
            m.add(r.atMs(), r.tokens(), r.busyNanos());
            if (watermark == Long.MIN_VALUE || at >= watermark - retention) {
                added.add(r);
            }
            watermark = Math.max(watermark, at);
            if (i % 997 == 0) {
                long from = watermark - random.nextInt(6_000);
                long to = from + random.nextInt(4_000);
                assertThat(m.over(from, to)).as("round %d, window [%d, %d)", i, from, to)
                        .isEqualTo(expected(added, watermark, retention, from, to));
            }
        }
        assertThat(m.watermarkMs()).isEqualTo(watermark);
        assertThat(m.over(watermark - retention, watermark + 1))
                .isEqualTo(expected(added, watermark, retention, watermark - retention, watermark + 1));
    }

    @Test
    void a_round_older_than_the_retention_on_arrival_is_not_kept() {
        CapacityMeter m = new CapacityMeter(1_000);
        m.add(10_000, 3, 1_000_000);
        m.add(8_000, 5, 1_000_000); // two seconds behind the newest, retention one

        assertThat(m.over(0, 20_000).rounds()).isEqualTo(1);
        assertThat(m.over(0, 20_000).tokens()).isEqualTo(3);
    }
}
