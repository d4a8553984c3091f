package dev.specserve.runtime.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The start-up profile decides the verify cost the planner serves with, whatever was measured before it. */
class VerifyCostTest {
    /** ms = 1.2 + 0.15 per token + 2.0 per 1,024 past rows, at the profile's points (tree nodes, past, ms). */
    static List<double[]> profile() {
        List<double[]> p = new ArrayList<>();
        for (int past : new int[] {64, 128, 320}) {
            for (int size : new int[] {1, 2, 4, 8, 16, 32}) {
                p.add(new double[] {size - 1, past, 1.2 + 0.15 * size + 2.0 * past / 1024.0});
            }
        }
        return p;
    }

    static final PlannedSequence SEQUENCE = withPast(100);

    static PlannedSequence withPast(int past) {
        return new PlannedSequence() {
            public boolean adaptive() {
                return true;
            }

            public boolean hasModel() {
                return false;
            }

            public dev.specserve.runtime.spec.DraftBudget budget() {
                return new dev.specserve.runtime.spec.DraftBudget(8, 4);
            }

            public int pastLength() {
                return past;
            }

            public dev.specserve.runtime.spec.DraftTree propose(dev.specserve.runtime.spec.DraftBudget budget) {
                return new dev.specserve.runtime.spec.DraftTree();
            }
        };
    }

    @Test
    void aBatchIsPricedByTheKvRowsItsForwardReads() {
        List<PlannedSequence> batch = List.of(withPast(100), withPast(300), withPast(500));
        VerifyCost cost = new VerifyCost();
        cost.calibrate(profile());
        int stride = 512; // the pool's stride: the longest past, bucketed

        assertThat(KvReads.OWN_PASTS.rows(List.of(withPast(300)), 4)).as("one sequence: its own past").isEqualTo(300);
        assertThat(KvReads.padded(stride).rows(batch, 0)).as("padded: every sequence over the stride").isEqualTo(1536);
        assertThat(KvReads.raggedPlainSteps(stride).rows(batch, 0)).as("ragged plain steps: own rows").isEqualTo(900);
        assertThat(KvReads.raggedPlainSteps(stride).rows(batch, 3)).as("ragged graph, trees: padded").isEqualTo(1536);

        double padded = cost.predict(batch, 0, KvReads.padded(stride));
        double ragged = cost.predict(batch, 0, KvReads.raggedPlainSteps(stride));
        assertThat(padded - ragged).as("the 636 rows a ragged step does not read, at 2 ms per 1,024")
                .isCloseTo(2.0 * 636 / 1024, within(0.05));
        assertThat(cost.predict(batch, 3, KvReads.raggedPlainSteps(stride)))
                .isEqualTo(cost.predict(batch, 3, KvReads.padded(stride)));
    }

    @Test
    void aProfileAfterNonsenseObservationsFitsTheProfileAlone() {
        VerifyCost cost = new VerifyCost();
        for (int i = 0; i < 256; i++) { // whatever a warm-up taught it: here that every forward is free
            cost.observe(java.util.Collections.nCopies(2 + i % 7, SEQUENCE), i % 32, KvReads.padded(64 * (1 + i % 64)), 0.001);
        }
        assertThat(cost.coefficients()[0]).as("taught nonsense first").isLessThan(0.3);
        cost.calibrate(profile());

        double[] c = cost.coefficients();
        assertThat(c[0]).as("fixed ms").isCloseTo(1.2, within(0.01));
        assertThat(c[1]).as("ms per token").isCloseTo(0.15, within(0.001));
        assertThat(c[2]).as("ms per 1,024 KV rows").isCloseTo(2.0, within(0.02));
    }
}
