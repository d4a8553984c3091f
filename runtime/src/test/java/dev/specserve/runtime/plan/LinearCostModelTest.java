package dev.specserve.runtime.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * The planner's cost models as a specification: they fit what they measure, a single wild sample (a session's
 * first run, a collection pause) does not move them, and a lasting change of cost is followed.
 */
class LinearCostModelTest {
    /** cost = 1 ms + 0.05 ms per row, observed at 4..16 rows and refitted every sample. */
    private static LinearCostModel fitted() {
        LinearCostModel m = new LinearCostModel("draft", new double[] {2.0, 0.1}, 64, 1, 1);
        for (int i = 0; i < 64; i++) {
            int rows = 4 + i % 13;
            m.observe(1.0 + 0.05 * rows, 1, rows);
        }
        return m;
    }

    @Test
    void fitsWhatItMeasures() {
        LinearCostModel m = fitted();
        assertThat(m.predict(1, 10)).isCloseTo(1.5, within(0.02));
        assertThat(m.outliers()).isZero();
    }

    @Test
    void aSingleWildSampleIsLeftOutAndCounted() {
        LinearCostModel m = fitted();
        m.observe(42.0, 1, 12); // a fresh session's first run: 25x the rest
        for (int i = 0; i < 7; i++) {
            m.observe(1.0 + 0.05 * 12, 1, 12);
        }
        assertThat(m.predict(1, 12)).isCloseTo(1.6, within(0.02));
        assertThat(m.outliers()).isEqualTo(1);
        assertThat(m.toString()).contains("1 outliers left out");
    }

    @Test
    void aLastingChangeOfCostIsFollowed() {
        LinearCostModel m = fitted();
        for (int i = 0; i < 128; i++) { // the machine got 10x slower, for good
            int rows = 4 + i % 13;
            m.observe(10 * (1.0 + 0.05 * rows), 1, rows);
        }
        assertThat(m.predict(1, 10)).isCloseTo(15.0, within(0.5));
        assertThat(m.outliers()).isEqualTo(LinearCostModel.REGIME_CHANGE);
    }

    @Test
    void samplesBelowThePredictionAreNeverOutliers() {
        LinearCostModel m = fitted();
        for (int i = 0; i < 64; i++) { // a faster machine than the prior: followed at once
            m.observe(0.1, 1, 4 + i % 13);
        }
        assertThat(m.predict(1, 10)).isCloseTo(0.1, within(0.1));
        assertThat(m.outliers()).isZero();
    }

    @Test
    void aNewPriorFromAProfileSupersedesEverythingMeasuredBefore() {
        LinearCostModel m = new LinearCostModel("verify", new double[] {3.0, 0.2}, 64, 4, 4);
        for (int i = 0; i < 32; i++) { // an engine's warm-up: every code path's first forwards run 3x slow
            int rows = 1 + i % 8;
            m.observe(3 * (1.0 + 0.15 * rows), 1, rows);
        }
        m.resetPrior(new double[] {1.0, 0.15}); // profiled once the process is warm

        assertThat(m.predict(1, 6)).as("the prior alone, not pulled back up by the warm-up").isCloseTo(1.9, within(1e-9));
        assertThat(m.samples()).isZero();
        for (int i = 0; i < 8; i++) {
            m.observe(1.0 + 0.15 * 6, 1, 6);
        }
        assertThat(m.predict(1, 6)).isCloseTo(1.9, within(0.02));
    }
}
