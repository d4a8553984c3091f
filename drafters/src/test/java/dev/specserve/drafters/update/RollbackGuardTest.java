package dev.specserve.drafters.update;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RollbackGuardTest {
    @Test
    void aNewVersionThatAcceptsLessThanBeforeTheSwapIsRolledBack() {
        RollbackGuard guard = new RollbackGuard(4, 0.2);
        rounds(guard, 6, 4, 2);                   // before the swap: 2 accepted per round
        guard.watch(7);

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
        rounds(guard, 2, 3, 2);
        guard.watch(3);
        guard.observe(3, 2);
        guard.observe(3, 1);
        assertThat(guard.observe(3, 2)).isEqualTo(RollbackGuard.Verdict.KEEP);
    }

    @Test
    void theBaselineIsTheLastWindowOfRoundsBeforeTheSwapNotEverythingSeen() {
        RollbackGuard guard = new RollbackGuard(4, 0.2);
        rounds(guard, 1, 100, 3);                 // a long stretch of easy traffic
        rounds(guard, 1, 4, 1);                   // then a drift: the old version accepts 1
        guard.watch(2);

        rounds(guard, 2, 3, 1);
        assertThat(guard.observe(2, 1)).as("as good as the old version on today's traffic").isEqualTo(RollbackGuard.Verdict.KEEP);
    }

    @Test
    void withNoRoundsBeforeTheSwapThereIsNothingToCompareAndTheVersionIsKept() {
        RollbackGuard guard = new RollbackGuard(2, 0.2);
        guard.watch(5);
        guard.observe(5, 0);
        assertThat(guard.observe(5, 0)).isEqualTo(RollbackGuard.Verdict.KEEP);
    }

    static void rounds(RollbackGuard guard, long version, int n, int accepted) {
        for (int i = 0; i < n; i++) {
            guard.observe(version, accepted);
        }
    }
}
