package dev.specserve.controller.feedback;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Event stamps follow the wall clock forwards, never backwards: event time must not freeze on a clock step. */
class EventClockTest {
    final AtomicLong wall = new AtomicLong(1_700_000_000_000L);
    final AtomicLong mono = new AtomicLong(5_000_000_000L);
    final EventClock clock = new EventClock(wall::get, mono::get);

    void elapse(long ms) {
        wall.addAndGet(ms);
        mono.addAndGet(ms * 1_000_000);
    }

    @Test
    void stamps_are_the_wall_clock_while_it_runs_normally() {
        long start = wall.get();
        elapse(250);
        assertThat(clock.millis()).isEqualTo(start + 250);
    }

    @Test
    void a_wall_clock_stepped_back_an_hour_is_rejoined_at_half_speed_never_going_backwards() {
        long start = wall.get();
        elapse(1_000);
        assertThat(clock.millis()).isEqualTo(start + 1_000);
        wall.addAndGet(-3_600_000); // NTP steps the clock back an hour

        assertThat(clock.millis()).as("not taken back").isEqualTo(start + 1_000);
        elapse(1_000);
        assertThat(clock.millis()).as("half speed").isEqualTo(start + 1_500);
        elapse(3_599_000); // an hour later: half of the step made up, the stamps still ahead
        assertThat(clock.millis()).isEqualTo(wall.get() + 1_800_000);
        elapse(3_610_000); // past twice the step: the wall clock has caught up
        long rejoined = clock.millis();
        assertThat(rejoined).isBetween(wall.get() - EventClock.RESYNC_MS, wall.get() + EventClock.RESYNC_MS);
        elapse(1_000);
        assertThat(clock.millis()).as("full speed again").isEqualTo(rejoined + 1_000);
    }

    @Test
    void a_wall_clock_stepped_forward_is_taken_as_a_gap() {
        long start = wall.get();
        elapse(1_000);
        wall.addAndGet(600_000); // a VM resumed ten minutes later

        assertThat(clock.millis()).isEqualTo(start + 601_000);
        elapse(10);
        assertThat(clock.millis()).isEqualTo(start + 601_010);
    }
}
