package dev.specserve.bandit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.apache.commons.math3.random.RandomGenerator;
import org.apache.commons.math3.random.Well19937c;
import org.junit.jupiter.api.Test;

class UpdateCostModelTest {

    private static double noisy(RandomGenerator rng, double seconds, double relSd) {
        return seconds * Math.exp(relSd * rng.nextGaussian());
    }

    @Test
    void beforeAnyReportItPredictsItsPrior() {
        UpdateCostModel m = new UpdateCostModel(0.5, 1.0);
        assertThat(m.secondsPerStep()).isEqualTo(0.5);
        assertThat(m.overheadSeconds()).isEqualTo(1.0);
        assertThat(m.predictSeconds(8)).isEqualTo(5.0);
        assertThat(m.predictSeconds(0)).isZero();
        assertThat(m.observations()).isZero();
        assertThat(m.lastSeconds()).isNaN();
    }

    @Test
    void learnsPerStepCostAndOverheadFromMeasuredDurations() {
        RandomGenerator rng = new Well19937c(1);
        UpdateCostModel m = new UpdateCostModel(0.5, 1.0); // prior is off by 2x
        for (int i = 0; i < 40; i++) {
            int steps = i % 2 == 0 ? 8 : 32;
            m.observe(steps, noisy(rng, 3.0 + 1.2 * steps, 0.05));
        }
        assertThat(m.secondsPerStep()).isCloseTo(1.2, within(0.08));
        assertThat(m.overheadSeconds()).isCloseTo(3.0, within(0.8));
        assertThat(m.predictSeconds(16)).isCloseTo(3.0 + 1.2 * 16, within(1.0));
        assertThat(m.observations()).isEqualTo(40);
        assertThat(m.lastSteps()).isEqualTo(32);
    }

    @Test
    void withOneStepCountItStillPredictsThatUpdateAccurately() {
        RandomGenerator rng = new Well19937c(2);
        UpdateCostModel m = new UpdateCostModel(0.5, 1.0);
        for (int i = 0; i < 20; i++) {
            m.observe(8, noisy(rng, 20.0, 0.05));
        }
        assertThat(m.predictSeconds(8)).isCloseTo(20.0, within(1.0));
    }

    @Test
    void followsAMachineThatSlowsDown() {
        RandomGenerator rng = new Well19937c(3);
        UpdateCostModel m = new UpdateCostModel(1.0, 2.0);
        for (int i = 0; i < 30; i++) {
            m.observe(16, noisy(rng, 2 + 16 * 1.0, 0.05));
        }
        for (int i = 0; i < 60; i++) { // a training job now shares the machine: steps twice as slow
            m.observe(16, noisy(rng, 2 + 16 * 2.0, 0.05));
        }
        assertThat(m.predictSeconds(16)).isCloseTo(34.0, within(2.5));
    }

    @Test
    void estimatesStayPhysical() {
        UpdateCostModel m = new UpdateCostModel(1.0, 5.0);
        for (int i = 0; i < 20; i++) {
            m.observe(32, 3.0); // much faster than even the prior overhead alone
            m.observe(4, 0.4);
        }
        assertThat(m.overheadSeconds()).isGreaterThanOrEqualTo(0);
        assertThat(m.secondsPerStep()).isGreaterThan(0);
        assertThat(m.predictSeconds(32)).isCloseTo(3.0, within(0.5));
    }

    @Test
    void rejectsImpossibleReports() {
        UpdateCostModel m = new UpdateCostModel();
        assertThatThrownBy(() -> m.observe(0, 1.0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> m.observe(8, -1.0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> m.observe(8, Double.NaN)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new UpdateCostModel(0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new UpdateCostModel(1, 1, 0.2, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
