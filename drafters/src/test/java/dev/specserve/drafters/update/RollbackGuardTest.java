package dev.specserve.drafters.update;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RollbackGuardTest {
    @Test
    void aNewVersionThatAcceptsLessThanBeforeTheSwapIsRolledBack() {
        RollbackGuard guard = new RollbackGuard(4, 0.2);
        guard.watch(7, 2.0);

        assertThat(guard.observe(7, 1)).isEqualTo(RollbackGuard.Verdict.WATCHING);
        assertThat(guard.observe(6, 0)).as("rounds of the old version do not count").isEqualTo(RollbackGuard.Verdict.WATCHING);
        guard.observe(7, 1);
        guard.observe(7, 2);
        assertThat(guard.observe(7, 1)).isEqualTo(RollbackGuard.Verdict.ROLL_BACK);
        assertThat(guard.observe(7, 1)).as("the verdict is given once").isEqualTo(RollbackGuard.Verdict.NOT_WATCHING);
    }

    @Test
    void aNewVersionWithinTheMarginIsKept() {
        RollbackGuard guard = new RollbackGuard(3, 0.5);
        guard.watch(3, 2.0);
        guard.observe(3, 2);
        guard.observe(3, 1);
        assertThat(guard.observe(3, 2)).isEqualTo(RollbackGuard.Verdict.KEEP);
    }
}
