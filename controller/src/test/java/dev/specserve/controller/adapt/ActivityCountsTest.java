package dev.specserve.controller.adapt;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What the bandit reads as time since the drafter was last updated. */
class ActivityCountsTest {
    @Test
    void only_a_drafter_that_changed_counts_as_updated_not_an_update_the_shadow_check_refused() throws Exception {
        ActivityCounts counts = new ActivityCounts();
        assertThat(counts.secondsSinceLastUpdate()).as("never updated").isEqualTo(Double.POSITIVE_INFINITY);

        counts.updated(2.5); // trained, refused: the drafter did not change
        assertThat(counts.secondsSinceLastUpdate()).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(counts.snapshot().updates()).isEqualTo(1);

        counts.swapped();
        Thread.sleep(20);
        assertThat(counts.secondsSinceLastUpdate()).isBetween(0.01, 5.0);
    }
}
