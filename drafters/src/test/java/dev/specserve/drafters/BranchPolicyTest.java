package dev.specserve.drafters;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BranchPolicyTest {
    static SlotResult slotWithRankClass(int rankClass) {
        return new SlotResult(0, 0, new float[1], new int[10], new float[10], rankClass, new int[0]);
    }

    @Test
    void theRankHeadSetsBranchingOneFourTenOrDropByPredictedRankClass() {
        BranchPolicy policy = BranchPolicy.rankHead();

        assertThat(policy.branches(slotWithRankClass(0))).as("rank 1 expected: continue with one branch").isEqualTo(1);
        assertThat(policy.branches(slotWithRankClass(1))).as("ranks 2-4: branch 4").isEqualTo(4);
        assertThat(policy.branches(slotWithRankClass(2))).as("ranks 5-10: branch 10").isEqualTo(10);
        assertThat(policy.branches(slotWithRankClass(3))).as("beyond 10: drop the branch").isZero();
    }

    @Test
    void theStaticAblationBranchesTheSameEverywhere() {
        BranchPolicy policy = BranchPolicy.fixed(3);
        for (int c = 0; c < 4; c++) {
            assertThat(policy.branches(slotWithRankClass(c))).isEqualTo(3);
        }
    }
}
