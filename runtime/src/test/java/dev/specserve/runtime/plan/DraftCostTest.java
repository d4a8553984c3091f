package dev.specserve.runtime.plan;

import static org.assertj.core.api.Assertions.assertThat;

import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/** The drafter's cost: a guess until calibration, then the level of the calls that follow it. */
class DraftCostTest {
    @Test
    void beforeACalibrationItIsThePriorAndNothingIsProfiled() {
        DraftCost cost = new DraftCost();

        assertThat(cost.profiling()).isFalse();
        assertThat(cost.predict(8)).isCloseTo(DraftCost.PRIOR[0] + 8 * DraftCost.PRIOR[1], Offset.offset(1e-9));
    }

    @Test
    void theCallsAfterACalibrationSetItsLevelAndOneColdCallDoesNotMoveIt() {
        DraftCost cost = new DraftCost();
        cost.calibrate();
        cost.observe(25.0, 8); // a session's first call
        for (int i = 1; i < DraftCost.PROFILE_CALLS; i++) {
            assertThat(cost.profiling()).as("profiling after %d calls", i).isTrue();
            cost.observe(0.35, 8);
        }

        assertThat(cost.profiling()).isFalse();
        assertThat(cost.predict(8)).as("a call feeding 8 rows").isCloseTo(0.35, Offset.offset(0.01));
        assertThat(cost.predict(16)).as("more rows cost more, in the prior's proportion").isGreaterThan(cost.predict(8));
    }

    @Test
    void aDrafterDearerThanTheGuessIsPricedAtWhatItCosts() {
        DraftCost cost = new DraftCost();
        cost.calibrate();
        for (int i = 0; i < DraftCost.PROFILE_CALLS; i++) {
            cost.observe(6.0, 10);
        }

        assertThat(cost.predict(10)).isCloseTo(6.0, Offset.offset(0.01));
    }
}
