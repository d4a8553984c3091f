package dev.specserve.controller.adapt;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ReplicaVersionsTest {
    private static final long GRACE = 30_000;
    private static final long NOW = 260_000;

    @Test
    void aReplicaServingAnotherVersionPastTheGracePeriodIsBehind() {
        ReplicaVersions v = new ReplicaVersions(GRACE);
        v.current(5, 100_000);
        v.served("a", 5, 140_000);
        v.served("b", 3, 140_000);

        assertThat(v.behind(NOW)).containsExactly(new ReplicaVersions.Behind("b", 3, 5, 140_000));
        assertThat(v.serving()).containsEntry("a", 5L).containsEntry("b", 3L);
    }

    @Test
    void roundsWithinTheGracePeriodOrBeforeTheVersionBecameCurrentAreNotJudged() {
        ReplicaVersions v = new ReplicaVersions(GRACE);
        v.current(5, 100_000);
        v.served("in-flight", 4, 95_000); // drafted before the swap
        v.served("adopting", 4, 120_000); // still adopting

        assertThat(v.behind(NOW)).isEmpty();
    }

    @Test
    void aRoundArrivingLateDoesNotHideANewerOne() {
        ReplicaVersions v = new ReplicaVersions(GRACE);
        v.current(5, 100_000);
        v.served("a", 5, 150_000);
        v.served("a", 3, 90_000); // an older round read late (a slow partition)

        assertThat(v.serving()).containsEntry("a", 5L);
        assertThat(v.behind(NOW)).isEmpty();
    }

    @Test
    void aReplicaSilentForFiveMinutesIsForgotten() {
        ReplicaVersions v = new ReplicaVersions(GRACE);
        v.current(5, 100_000);
        v.served("gone", 3, 140_000);

        assertThat(v.behind(140_000 + ReplicaVersions.FORGET.toMillis() + 1)).isEmpty();
        assertThat(v.serving()).doesNotContainKey("gone");
    }

    @Test
    void aNewCurrentVersionRestartsTheGracePeriodARollbackIncluded() {
        ReplicaVersions v = new ReplicaVersions(GRACE);
        v.current(5, 100_000);
        v.served("a", 5, 200_000);
        v.current(4, 210_000); // rolled back
        v.served("a", 5, 220_000);
        assertThat(v.behind(NOW)).isEmpty();

        v.served("a", 5, 250_000);
        assertThat(v.behind(NOW)).extracting(ReplicaVersions.Behind::current).containsExactly(4L);
    }
}
