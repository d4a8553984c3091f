package dev.specserve.bandit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RewardWindowsTest {

    /** One round every 10 ms over [from, to): {@code tokens} per round, {@code busyMs} busy per round. */
    static void serve(CapacityMeter m, long from, long to, int tokens, double busyMs) {
        for (long t = from; t < to; t += 10) {
            m.add(t, tokens, (long) (busyMs * 1e6));
        }
    }

    @Test
    void capacityIsTokensPerBusySecondWhateverTheDemand() {
        CapacityMeter m = new CapacityMeter(60_000);
        serve(m, 0, 1000, 3, 5);             // 100 rounds in a second, each busy 5 ms: half load
        CapacityMeter.Window w = m.over(0, 1000);
        assertThat(w.capacity()).isCloseTo(600, within(1e-9)); // 3 tokens / 5 ms, not the 300 served
        assertThat(w.roundRate()).isCloseTo(100, within(1e-9));
    }

    @Test
    void lateRoundsCountInTheWindowOfWhenTheyHappened() {
        CapacityMeter m = new CapacityMeter(60_000);
        m.add(2000, 2, 1_000_000);
        m.add(500, 4, 1_000_000);            // arrives late, happened earlier
        assertThat(m.over(0, 1000).tokens()).isEqualTo(4);
        assertThat(m.watermarkMs()).isEqualTo(2000);
    }

    @Test
    void aRoundWithNoBusyTimeIsLeftOutAndCountedSoNoWindowPricesTokensPerZeroSeconds() {
        CapacityMeter m = new CapacityMeter(600_000);
        RewardWindows w = new RewardWindows(m, 300, 10_000, 1000, 8);
        for (long t = 0; t < 4000; t += 10) {
            m.add(t, 9, 0);                  // forged: 8 accepted, no draft or verify time
        }
        assertThat(m.idleRounds()).isEqualTo(400);
        assertThat(m.watermarkMs()).as("event time does not move").isEqualTo(Long.MIN_VALUE);

        serve(m, 0, 2000, 3, 5);
        w.decided("d1", false, 2000);
        w.decided("d2", false, 12_000);
        serve(m, 2000, 400_000, 3, 5);
        assertThat(w.ready(400_000)).extracting(Reward::decisionId).contains("d1");
    }

    @Test
    void aDecisionWhoseWindowsSawTooFewRoundsIsHandedBackOnceToBeForgotten() {
        CapacityMeter m = new CapacityMeter(600_000);
        RewardWindows w = new RewardWindows(m, 300, 10_000, 1000, 8);
        serve(m, 0, 10_000, 2, 5);
        w.decided("idle", false, 10_000);       // then traffic stops: one stray round much later
        m.add(400_000, 2, 5_000_000);

        assertThat(w.ready(400_000)).isEmpty();
        assertThat(w.unmeasured()).isEqualTo(1);
        assertThat(w.takeUnmeasured()).containsExactly("idle");
        assertThat(w.takeUnmeasured()).isEmpty();
    }

    @Test
    void windowsDoNotOverlapAndAWaitIsCreditedOnlyWithItsOwnEpoch() {
        CapacityMeter m = new CapacityMeter(600_000);
        RewardWindows w = new RewardWindows(m, 300, 10_000, 1000, 8);
        serve(m, 0, 10_000, 2, 5);                       // capacity 400 tokens/s
        w.decided("u1", true, 10_000);                   // an update: trains 10-12 s
        serve(m, 10_000, 12_000, 2, 10);                 // training halves capacity
        w.trained("u1", 12_000, 2.0, true, 0.5);
        serve(m, 12_000, 20_000, 3, 5);                  // the new drafter: 600 tokens/s
        w.decided("w1", false, 20_000);                  // a wait after the update
        serve(m, 20_000, 30_000, 3, 5);
        w.decided("w2", false, 30_000);                  // closes w1's epoch
        serve(m, 30_000, 40_000, 3, 5);
        w.decided("u2", true, 40_000);                   // closes u1's window and w2's epoch
        serve(m, 40_000, 42_000, 3, 5);
        List<Reward> ready = new ArrayList<>(w.ready(42_000));
        assertThat(ready).extracting(Reward::decisionId).containsExactly("u1", "w1", "w2");
        Reward u1 = ready.get(0);
        assertThat(u1.capacityBefore()).isCloseTo(400, within(1e-6));
        assertThat(u1.afterFromMs()).isEqualTo(12_000);
        assertThat(u1.afterToMs()).isEqualTo(40_000);    // until the next update
        assertThat(u1.capacityAfter()).isCloseTo(600, within(1e-6));
        assertThat(u1.capacityTaken()).isCloseTo(200, within(1e-6));
        assertThat(u1.value()).isCloseTo(200 * (300 - 2.5) - 2.0 * 200 - 0.5 * 400, within(1e-6));
        Reward w1 = ready.get(1);
        assertThat(w1.beforeFromMs()).as("baseline starts after the swap").isEqualTo(12_000);
        assertThat(w1.afterToMs()).as("its own epoch").isEqualTo(30_000);
        assertThat(w1.value()).as("not credited with the update's gain").isCloseTo(0, within(1e-6));
        assertThat(Reward.fromMap(u1.toMap())).isEqualTo(u1);
        assertThat(w.settling()).as("u2 still training").isTrue();
    }
}
