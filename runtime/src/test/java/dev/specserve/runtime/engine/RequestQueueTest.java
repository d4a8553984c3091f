package dev.specserve.runtime.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.runtime.spec.SamplingParams;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Which waiting request takes the next free batch slot. */
class RequestQueueTest {
    static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    final RequestQueue queue = new RequestQueue(16, 2);

    /** A waiting choice of API request {@code group}, queued at {@code atMs}, refused if not started within 1 s. */
    void queue(String id, String group, long atMs) {
        EngineRequest r = new EngineRequest(id, "x", 4, SamplingParams.GREEDY, List.of(), "none", null, null, 0, null,
                0, group);
        assertThat(queue.offer(new Pending(r, null, "none", null, null, atMs * MS, (atMs + 1_000) * MS,
                (atMs + 2_000) * MS), 2)).isTrue();
    }

    String next(Map<String, Integer> held, long nowMs) {
        Pending p = queue.poll(g -> held.getOrDefault(g, 0), nowMs * MS);
        return p == null ? null : p.id();
    }

    @Test
    void the_request_holding_the_fewest_slots_goes_first_then_first_come_first_served() {
        queue("big-2", "big", 0);
        queue("big-3", "big", 0);
        queue("a", "a", 10);
        queue("b", "b", 20);

        assertThat(next(Map.of("big", 2), 100)).isEqualTo("a");
        assertThat(next(Map.of("big", 2, "a", 1), 100)).isEqualTo("b");
        assertThat(next(Map.of("big", 1, "a", 1, "b", 1), 100)).as("among equals, the oldest").isEqualTo("big-2");
        assertThat(next(Map.of(), 100)).isEqualTo("big-3");
        assertThat(next(Map.of(), 100)).isNull();
    }

    @Test
    void the_oldest_goes_first_once_it_has_waited_half_of_what_it_may_so_fairness_never_times_it_out() {
        queue("big-2", "big", 0);
        queue("a", "a", 10);

        assertThat(next(Map.of("big", 2), 499)).as("fair while it can wait").isEqualTo("a");
        queue("b", "b", 450);
        assertThat(next(Map.of("big", 2, "a", 1), 500)).as("half its 1 s allowance waited").isEqualTo("big-2");
    }
}
