package dev.specserve.runtime.plan;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Probes of the drafter model: due on an interval, backing off while the target rejects them. */
class ModelExplorationTest {
    static final double ENOUGH_EVIDENCE = ModelExploration.COLD_START_CALLS;

    @Test
    void aProbeIsDueEveryIntervalAndAlwaysBeforeTheModelHasEvidence() {
        ModelExploration e = new ModelExploration();
        e.called(100, true);
        e.verified(true);

        assertThat(e.due(100 + ModelExploration.FIRST_INTERVAL - 1, ENOUGH_EVIDENCE)).isFalse();
        assertThat(e.due(100 + ModelExploration.FIRST_INTERVAL, ENOUGH_EVIDENCE)).isTrue();
        assertThat(e.due(101, 0)).as("cold start").isTrue();
    }

    @Test
    void rejectedProbesDoubleTheIntervalUpToTheMaximum() {
        ModelExploration e = new ModelExploration();
        long round = 0;
        for (int i = 0; i < 10; i++) {
            round += e.interval();
            assertThat(e.due(round, ENOUGH_EVIDENCE)).isTrue();
            e.called(round, true);
            e.verified(false);
        }
        assertThat(e.interval()).isEqualTo(ModelExploration.MAX_INTERVAL);
    }

    @Test
    void anAcceptedProbeOrAForwardBoughtOnItsMeritsResetsTheInterval() {
        ModelExploration e = new ModelExploration();
        e.called(64, true);
        e.verified(false);
        e.called(192, true);
        e.verified(false);
        assertThat(e.interval()).isEqualTo(4 * ModelExploration.FIRST_INTERVAL);

        e.called(448, true);
        e.verified(true);
        assertThat(e.interval()).isEqualTo(ModelExploration.FIRST_INTERVAL);

        e.called(512, true);
        e.verified(false);
        e.called(600, false); // bought on its merits
        e.verified(false);
        assertThat(e.interval()).as("a merit buy is not a probe").isEqualTo(ModelExploration.FIRST_INTERVAL);
    }
}
