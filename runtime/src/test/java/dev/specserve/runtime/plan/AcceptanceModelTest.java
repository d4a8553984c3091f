package dev.specserve.runtime.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.DraftTree;
import org.junit.jupiter.api.Test;

/**
 * How acceptance is learned: greedy and sampling sequences apart, unseen cells from calibrated priors, and chosen
 * trees discounted by what they delivered.
 */
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

    @Test
    void treesThatDeliverLessThanTheirValuesPromisedAreDiscountedInTheirRegimeOnly() {
        AcceptanceModel m = new AcceptanceModel();
        DraftTree t = lookup(1f, 12);
        Seq sampled = new Seq(true);
        double raw = m.rawNodeValues(sampled, t)[0];

        for (int i = 0; i < 2000; i++) { // chosen trees promised 1 token and delivered 0.8
            m.learnChosen(sampled, 1.0, i % 5 == 0 ? 0 : 1);
        }

        assertThat(m.nodeValues(sampled, t)[0]).isCloseTo(0.8 * raw, within(0.02));
        assertThat(m.rawNodeValues(sampled, t)[0]).as("the cells' own evidence is untouched").isEqualTo(raw);
        assertThat(m.chosenRatio(new Seq(false))).as("greedy trees keep their own record").isEqualTo(1.0);
        for (int i = 0; i < 20000; i++) { // and back once they deliver what they promise
            m.learnChosen(sampled, 1.0, 1);
        }
        assertThat(m.chosenRatio(sampled)).isCloseTo(1.0, within(0.01));
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
