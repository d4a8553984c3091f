package dev.specserve.runtime.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.DraftTree;
import org.junit.jupiter.api.Test;

/** How acceptance is learned: greedy and sampling sequences apart, and unseen cells from calibrated priors. */
class AcceptanceModelTest {
    private static DraftTree lookup(float frequency, int match) {
        DraftTree t = new DraftTree();
        t.addLookup(DraftTree.ROOT, 7, 0f, frequency, match, 3);
        return t;
    }

    private static double first(AcceptanceModel m, PlannedSequence s, DraftTree t) {
        return m.nodeValues(s, t)[0];
    }

    /** Acceptance {@code rate} over {@code rounds} fresh sequences (so only the global evidence carries over). */
    private static void observe(AcceptanceModel m, boolean sampled, DraftTree t, int rounds, double rate) {
        for (int i = 0; i < rounds; i++) {
            m.learn(new Seq(sampled), t, new boolean[] {(i * rate) % 1 + rate >= 1}, -1);
        }
    }

    @Test
    void sampledSequencesLearnTheirAcceptanceApartFromGreedyOnes() {
        AcceptanceModel m = new AcceptanceModel();
        DraftTree t = lookup(1f, 12);
        double prior = first(m, new Seq(true), t);

        observe(m, false, t, 300, 1.0);

        assertThat(first(m, new Seq(true), t)).as("greedy evidence leaves sampling alone").isEqualTo(prior);
        observe(m, true, t, 300, 0.2);
        assertThat(first(m, new Seq(true), t)).isCloseTo(0.2, within(0.05));
        assertThat(first(m, new Seq(false), t)).isGreaterThan(0.95);
    }

    @Test
    void anUnseenCellStartsAtItsPriorScaledByHowThePriorsFaredOnTheCellsSeen() {
        AcceptanceModel fresh = new AcceptanceModel();
        AcceptanceModel m = new AcceptanceModel();
        DraftTree seen = lookup(1f, 12);    // prior 0.9
        DraftTree unseen = lookup(0.5f, 3); // another match length and frequency: another cell

        observe(m, true, seen, 400, 0.3);

        double ratio = first(m, new Seq(true), unseen) / first(fresh, new Seq(true), unseen);
        assertThat(ratio).as("a third of what the priors predicted was accepted").isCloseTo(0.3 / 0.9, within(0.05));
        assertThat(first(m, new Seq(false), unseen)).as("greedy priors keep their own calibration")
                .isEqualTo(first(fresh, new Seq(false), unseen));
    }

    /** A sequence of its own (identity, as the engine's are), greedy or sampling. */
    private static final class Seq implements PlannedSequence {
        private final boolean sampled;

        Seq(boolean sampled) {
            this.sampled = sampled;
        }

        @Override
        public boolean sampled() {
            return sampled;
        }

        @Override
        public boolean adaptive() {
            return true;
        }

        @Override
        public boolean hasModel() {
            return false;
        }

        @Override
        public DraftBudget budget() {
            return new DraftBudget(8, 4);
        }

        @Override
        public int pastLength() {
            return 0;
        }

        @Override
        public DraftTree propose(DraftBudget budget) {
            return new DraftTree();
        }
    }
}
