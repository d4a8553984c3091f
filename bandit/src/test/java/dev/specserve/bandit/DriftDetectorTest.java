package dev.specserve.bandit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.apache.commons.math3.random.RandomGenerator;
import org.apache.commons.math3.random.Well19937c;
import org.junit.jupiter.api.Test;

/**
 * Per-round acceptance is simulated as speculative decoding produces it: with per-token acceptance
 * α and draft depth 6, a round yields 1 + L tokens, L truncated-geometric (P(L ≥ i) = α^i).
 * α = 0.8 gives τ ≈ 3.95, α = 0.7 gives τ ≈ 3.06 (a 22% drop, about 0.42 σ of a single round).
 */
class DriftDetectorTest {

    static int roundTokens(RandomGenerator rng, double alpha) {
        int l = 0;
        while (l < 6 && rng.nextDouble() < alpha) {
            l++;
        }
        return l + 1;
    }

    @Test
    void flagsA22PercentDropInAcceptanceWithin500RoundsAndAbout150OnAverage() {
        int seeds = 100;
        int change = 2000;
        int detected = 0;
        int earlyAlarms = 0;
        long delaySum = 0;
        long maxDelay = 0;
        for (long seed = 1; seed <= seeds; seed++) {
            RandomGenerator rng = new Well19937c(seed);
            DriftDetector d = new DriftDetector();
            long alarmAt = -1;
            for (int round = 1; round <= change + 2000 && alarmAt < 0; round++) {
                if (d.observe(roundTokens(rng, round <= change ? 0.8 : 0.7))) {
                    alarmAt = round;
                }
            }
            if (alarmAt >= 0 && alarmAt <= change) {
                earlyAlarms++;
            } else if (alarmAt > change) {
                detected++;
                delaySum += alarmAt - change;
                maxDelay = Math.max(maxDelay, alarmAt - change);
            }
        }
        assertThat(earlyAlarms).as("alarms before the change (≈1000 in-control rounds each)").isLessThanOrEqualTo(3);
        assertThat(detected).as("every stream without an early alarm detects the drop").isEqualTo(seeds - earlyAlarms);
        assertThat(maxDelay).as("worst detection delay (rounds)").isLessThanOrEqualTo(500);
        assertThat((double) delaySum / detected).as("mean detection delay (rounds)").isLessThanOrEqualTo(200);
    }

    @Test
    void raisesAtMostOneFalseAlarmPer200kRoundsOnStationaryStreams() {
        long rounds = 0;
        long alarms = 0;
        for (double alpha : new double[] {0.5, 0.8, 0.9}) { // symmetric, skewed up, skewed down
            for (long seed = 1; seed <= 25; seed++) {
                RandomGenerator rng = new Well19937c(1000 * seed + (long) (alpha * 10));
                DriftDetector d = new DriftDetector();
                for (int i = 0; i < 40_000; i++) {
                    rounds++;
                    if (d.observe(roundTokens(rng, alpha))) {
                        alarms++;
                        d.reset();
                    }
                }
            }
        }
        assertThat(rounds).isEqualTo(3_000_000);
        assertThat(alarms).as("false alarms in 3M stationary rounds").isLessThanOrEqualTo(15);
    }

    @Test
    void doesNotFlagARiseInAcceptance() {
        RandomGenerator rng = new Well19937c(42);
        DriftDetector d = new DriftDetector();
        for (int i = 0; i < 20_000; i++) {
            d.observe(roundTokens(rng, i < 2000 ? 0.6 : 0.9));
        }
        assertThat(d.alarmed()).isFalse();
        assertThat(d.score()).isLessThan(0.5);
    }

    @Test
    void staysSilentDuringWarmUpThenCalibratesToTheStream() {
        RandomGenerator rng = new Well19937c(3);
        DriftDetector d = new DriftDetector(512, 16, 0.5, 10);
        for (int i = 0; i < 511; i++) {
            assertThat(d.observe(i < 256 ? 5.0 : 1.0)).isFalse(); // wild, but still warm-up
        }
        assertThat(d.calibrated()).isFalse();
        assertThat(d.statistic()).isZero();
        d.reset();
        for (int i = 0; i < 512; i++) {
            d.observe(roundTokens(rng, 0.8));
        }
        assertThat(d.calibrated()).isTrue();
        assertThat(d.referenceMean()).isCloseTo(3.95, within(0.25));
        assertThat(d.referenceSd()).isCloseTo(2.1, within(0.3));
    }

    @Test
    void alarmLatchesAndScoreGrowsUntilResetWhichStartsANewBaseline() {
        DriftDetector d = new DriftDetector(400, 4, 0.5, 8);
        RandomGenerator rng = new Well19937c(9);
        for (int i = 0; i < 400; i++) {
            d.observe(3 + 0.5 * rng.nextGaussian());
        }
        int fresh = 0;
        for (int i = 0; i < 400; i++) {
            if (d.observe(2 + 0.5 * rng.nextGaussian())) {
                fresh++;
            }
        }
        assertThat(fresh).as("one alarm, latched").isEqualTo(1);
        assertThat(d.alarmed()).isTrue();
        assertThat(d.score()).isGreaterThan(10);
        assertThat(d.alarmRound()).isBetween(401L, 420L);
        assertThat(d.alarmsTotal()).isEqualTo(1);

        d.reset();
        assertThat(d.alarmed()).isFalse();
        assertThat(d.score()).isZero();
        assertThat(d.calibrated()).isFalse();
        for (int i = 0; i < 2000; i++) {
            d.observe(2 + 0.5 * rng.nextGaussian()); // the new level is the new normal
        }
        assertThat(d.alarmed()).isFalse();
        assertThat(d.alarmsTotal()).isEqualTo(1);
    }

    @Test
    void aConstantWarmUpDoesNotMakeTheStatisticInfinite() {
        DriftDetector d = new DriftDetector(50, 1, 0.5, 10);
        for (int i = 0; i < 50; i++) {
            d.observe(4.0);
        }
        d.observe(3.99);
        assertThat(d.statistic()).isFinite();
        assertThat(d.alarmed()).isFalse();
        d.observe(3.0); // a whole token lower than a perfectly constant stream is a real change
        assertThat(d.alarmed()).isTrue();
    }

    @Test
    void rejectsBadParametersAndNonFiniteInput() {
        assertThatThrownBy(() -> new DriftDetector(1, 16, 0.5, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DriftDetector(100, 0, 0.5, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DriftDetector(100, 16, -1, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DriftDetector(100, 16, 0.5, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DriftDetector().observe(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    }
}
