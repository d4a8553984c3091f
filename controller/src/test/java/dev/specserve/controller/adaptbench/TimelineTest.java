package dev.specserve.controller.adaptbench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.controller.adaptbench.Timeline.PhaseSpan;
import dev.specserve.controller.adaptbench.Timeline.Update;
import dev.specserve.controller.adaptbench.Timeline.VersionChange;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TimelineTest {
    final Timeline timeline = new Timeline();

    @Test
    void roundsOnOneVersionMarkNothing() {
        timeline.round(0.1, "A", 3, 1);
        timeline.round(0.2, "A", 2, 1);

        assertThat(timeline.swaps()).isEmpty();
        assertThat(timeline.rollbacks()).isEmpty();
    }

    @Test
    void theFirstRoundOnAHigherVersionMarksASwapAtThatRound() {
        timeline.round(0.1, "A", 3, 1);
        timeline.round(0.2, "A", 2, 4);
        timeline.round(0.3, "A", 2, 4);

        assertThat(timeline.swaps()).containsExactly(new VersionChange(0.2, 1, 4));
        assertThat(timeline.rollbacks()).isEmpty();
    }

    @Test
    void roundsWithoutTheDrafterMarkNothingAndTheNextDrafterRoundComparesWithTheLastOne() {
        timeline.round(0.1, "A", 3, 1);
        timeline.round(0.2, "A", 1, 0); // a planner's plain step: no drafter version
        timeline.round(0.3, "A", 2, 1);
        timeline.round(0.4, "A", 1, 0);
        timeline.round(0.5, "A", 3, 2);

        assertThat(timeline.swaps()).containsExactly(new VersionChange(0.5, 1, 2));
        assertThat(timeline.rollbacks()).isEmpty();
        assertThat(timeline.summary().get("versions_used")).isEqualTo(java.util.List.of(1L, 2L));
    }

    @Test
    void aChangeBackToALowerVersionIsARollbackNotASwap() {
        timeline.round(0.1, "A", 3, 1);
        timeline.round(0.2, "A", 1, 4);
        timeline.round(0.3, "A", 3, 1);
        timeline.round(0.4, "B", 2, 5);

        assertThat(timeline.swaps()).containsExactly(new VersionChange(0.2, 1, 4), new VersionChange(0.4, 1, 5));
        assertThat(timeline.rollbacks()).containsExactly(new VersionChange(0.3, 4, 1));
    }

    @Test
    void aGrowingUpdateCountMarksOneUpdatePerNewUpdateEndingWhenItWasSeen() {
        timeline.updatesSoFar(1.0, 0, 0);
        timeline.updatesSoFar(2.0, 1, 0.5);
        timeline.updatesSoFar(3.0, 1, 0.5);
        timeline.updatesSoFar(4.0, 3, 1.5);

        assertThat(timeline.updates()).containsExactly(new Update(1.5, 2.0), new Update(3.5, 4.0),
                new Update(3.5, 4.0));
    }

    @Test
    void anUpdateCannotStartBeforeTheRun() {
        timeline.updatesSoFar(0.2, 1, 0.5);

        assertThat(timeline.updates()).containsExactly(new Update(0, 0.2));
    }

    @Test
    void phasesSpanFromTheirFirstRoundToTheNextPhasesFirstRoundAndTheFirstFromTheRunStart() {
        timeline.round(0.5, "A", 3, 1);
        timeline.round(1.0, "A", 3, 1);
        timeline.round(1.2, "B", 1, 1);
        timeline.round(2.0, "B", 1, 1);

        assertThat(timeline.phases()).containsExactly(new PhaseSpan("A", 0, 1.2), new PhaseSpan("B", 1.2, 2.0));
        assertThat(timeline.phaseRounds().get("A").tau()).isEqualTo(3.0);
        assertThat(timeline.phaseRounds().get("B").tau()).isEqualTo(1.0);
    }

    @Test
    void drawingMorePlainStepsLowersTauButNotTheTauOfDraftedRounds() {
        // phase A: two drafted rounds of 3 tokens; phase B: the same drafted rounds plus two plain steps
        timeline.round(new Timeline.Round(0.1, "A", 3, 1, 6, 0.5, 3.0));
        timeline.round(new Timeline.Round(0.2, "A", 3, 1, 6, 0.5, 3.0));
        timeline.round(new Timeline.Round(0.3, "B", 3, 1, 6, 0.5, 3.0));
        timeline.round(new Timeline.Round(0.4, "B", 3, 1, 6, 0.5, 3.0));
        timeline.round(new Timeline.Round(0.5, "B", 1, 0, 0, 0.0, 2.0));
        timeline.round(new Timeline.Round(0.6, "B", 1, 0, 0, 0.0, 2.0));

        PhaseRounds a = timeline.phaseRounds().get("A");
        PhaseRounds b = timeline.phaseRounds().get("B");
        assertThat(b.tau()).isEqualTo(2.0).isLessThan(a.tau());
        assertThat(b.tauDrafted()).isEqualTo(a.tauDrafted()).isEqualTo(3.0);
        assertThat(b.plainShare()).isEqualTo(0.5);
        assertThat(a.plainShare()).isZero();
        assertThat(b.draftMs()).isEqualTo(0.25);
        assertThat(b.verifyMs()).isEqualTo(2.5);
        assertThat(b.fields()).containsEntry("tau_drafted", 3.0).containsEntry("plain_share", 0.5)
                .containsEntry("rounds", 4);
    }

    @Test
    void roundsWithoutTimesReportNoTimes() {
        timeline.round(0.1, "A", 1, 0);

        assertThat(timeline.phaseRounds().get("A").fields()).containsOnlyKeys("rounds", "tau", "plain_share");
    }

    @Test
    void eachUpdateCountsInThePhaseItStartedIn() {
        timeline.round(0.5, "A-high", 3, 1);
        timeline.round(1.2, "B-low", 1, 1);
        timeline.updatesSoFar(1.6, 1, 0.3);
        timeline.round(2.0, "B-low", 1, 2);
        timeline.round(2.5, "B-high", 1, 2);
        timeline.updatesSoFar(3.0, 2, 0.5);
        timeline.round(3.1, "B-high", 1, 3);

        assertThat(timeline.updatesByPhase()).containsExactly(java.util.Map.entry("A-high", 0),
                java.util.Map.entry("B-low", 1), java.util.Map.entry("B-high", 1));
    }

    @Test
    void movingTauAveragesTheLastRoundsAndFewerAtTheStart() {
        int[] tokens = {1, 3, 5, 7};
        for (int i = 0; i < tokens.length; i++) {
            timeline.round(i, "A", tokens[i], 1);
        }

        assertThat(timeline.movingTau(2)).extracting(Timeline.Point::value)
                .containsExactly(1.0, 2.0, 4.0, 6.0);
    }

    @Test
    void theSummaryIsCompactAndTheCsvHoldsEveryEventInTimeOrder(@TempDir Path dir) throws Exception {
        timeline.round(0.1, "A", 3, 1);
        timeline.updatesSoFar(0.15, 1, 0.05);
        timeline.round(new Timeline.Round(0.2, "A", 2, 4, 5, 0.61, 2.5));

        assertThat(timeline.summary()).containsEntry("rounds", 2)
                .containsEntry("versions_used", List.of(1L, 4L))
                .containsEntry("first_swap_s", 0.2);
        Path csv = dir.resolve("timeline.csv");
        TimelineCsv.write(timeline, csv);
        assertThat(Files.readAllLines(csv)).containsExactly(
                "seconds,event,phase,tokens,version,training_started_s,nodes,draft_ms,verify_ms",
                "0.1000,round,A,3,1,,0,,",
                "0.1500,update,,,,0.1000,,,",
                "0.2000,round,A,2,4,,5,0.610,2.500",
                "0.2000,swap,,,4,,,,");
    }
}
