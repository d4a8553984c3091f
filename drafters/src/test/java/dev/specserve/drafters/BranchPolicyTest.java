package dev.specserve.drafters;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BranchPolicyTest {
    static SlotResult slotWithRankClass(int rankClass) {
        float[] p = new float[4];
        p[rankClass] = 1f;
        return new SlotResult(0, 0, new float[1], new int[10], new float[10], rankClass, p, new int[0]);
    }

    static SlotResult slotWithRankProbabilities(float... p) {
        int best = 0;
        for (int c = 1; c < 4; c++) {
            best = p[c] > p[best] ? c : best;
        }
        return new SlotResult(0, 0, new float[1], new int[10], new float[10], best, p, new int[0]);
    }

    @Test
    void theCoverageRuleTakesTheFewestBranchesLikelyToHoldTheTargetsToken() {
        BranchPolicy policy = BranchPolicy.rankHeadCoverage(0.5, 0.2);

        assertThat(policy.branches(slotWithRankProbabilities(0.6f, 0.2f, 0.1f, 0.1f))).isEqualTo(1);
        assertThat(policy.branches(slotWithRankProbabilities(0.3f, 0.25f, 0.1f, 0.35f))).isEqualTo(4);
        assertThat(policy.branches(slotWithRankProbabilities(0.1f, 0.1f, 0.1f, 0.7f)))
                .as("covered by 10 branches with probability 0.3: still worth branching").isEqualTo(10);
        assertThat(policy.branches(slotWithRankProbabilities(0.05f, 0.05f, 0.05f, 0.85f))).as("drop").isZero();
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
