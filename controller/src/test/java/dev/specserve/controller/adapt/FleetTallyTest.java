package dev.specserve.controller.adapt;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.telemetry.FeedbackListener;
import dev.specserve.telemetry.RoundEvent;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The trainer's count of what each replica sent stays the size of the fleet as replicas restart under new ids. */
class FleetTallyTest {
    final FleetTally tally = new FleetTally(new FeedbackListener() {}, "drafter", new ReplicaVersions(1_000), () -> 1);

    void round(String replica, String request) {
        tally.onRound(new RoundEvent(System.currentTimeMillis(), replica, request, 0, "specblock", "other-drafter", 1, 8,
                4, 1, List.of(true, false, false, false), 1_000, 1_000, null));
    }

    @Test
    void replicas_silent_for_five_minutes_are_summed_under_one_entry_their_counts_kept() {
        for (int restart = 0; restart < 20; restart++) { // a replica restarted 20 times: 20 pid@host ids
            round("pid" + restart + "@host", "r" + restart);
        }
        round("live@host", "r-live");
        round("live@host", "r-live");
        long later = System.currentTimeMillis() + ReplicaVersions.FORGET.toMillis() + 1_000;

        var counts = tally.byReplica(later - 2_000); // everyone was seen within the five minutes before
        assertThat(counts).hasSize(21);
        assertThat(counts.get("live@host").rounds()).isEqualTo(2);

        counts = tally.byReplica(later);
        assertThat(counts).containsOnlyKeys(FleetTally.EARLIER);
        assertThat(counts.get(FleetTally.EARLIER).rounds()).as("nothing lost from the totals").isEqualTo(22);
    }

    @Test
    void a_round_stamped_far_ahead_does_not_stand_as_its_replicas_latest_version() {
        FleetTally mine = new FleetTally(new FeedbackListener() {}, "drafter", versions, () -> 5);
        long now = System.currentTimeMillis();
        mine.onRound(drafted("r", 4, now + 86_400_000)); // a clock glitch: a day ahead, an old version
        mine.onRound(drafted("r", 5, now));              // the replica adopted the current one

        assertThat(versions.serving()).containsEntry("r", 5L);
    }

    final ReplicaVersions versions = new ReplicaVersions(1_000);

    static RoundEvent drafted(String replica, long version, long atMs) {
        return new RoundEvent(atMs, replica, "q", 0, "specblock", "drafter", version, 8, 4, 1,
                List.of(true, false, false, false), 1_000, 1_000, null);
    }
}
