package dev.specserve.drafters;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.drafters.EngineTest.Collector;
import dev.specserve.runtime.engine.Engine;
import dev.specserve.runtime.engine.EngineConfig;
import dev.specserve.runtime.engine.EngineListener;
import dev.specserve.runtime.engine.EngineRequest;
import dev.specserve.runtime.spec.SamplingParams;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Free batch slots go to the API request holding the fewest, so one request's many choices cannot starve others. */
class FairAdmissionTest {
    static ModelStack stack;

    @BeforeAll
    static void open() {
        stack = Stack.load();
    }

    @AfterAll
    static void close() {
        stack.close();
    }

    static EngineRequest choice(String id, String group, String prompt, int maxTokens) {
        return new EngineRequest(id, prompt, maxTokens, SamplingParams.GREEDY, List.of(), "none", null, null, 0, null,
                0, group);
    }

    /** A warm engine of {@code maxBatch} slots, plain decoding, telling {@code started} which request starts when. */
    static Engine engine(int maxBatch, List<String> started) {
        EngineConfig d = EngineConfig.defaults();
        Engine e = stack.newEngine(new EngineConfig(maxBatch, 16, d.maxTokensLimit(), "none", d.defaultBudget(),
                d.requestTimeoutMillis(), 0, d.prefixBlockTokens()));
        e.warmedUp().join();
        e.addListener(new EngineListener() {
            @Override
            public void onStarted(String requestId, long queueNanos, int promptTokens, int prefixHitTokens) {
                started.add(requestId);
            }
        });
        return e;
    }

    @Test
    void a_request_queued_behind_another_requests_many_choices_gets_the_next_free_slot() throws Exception {
        List<String> started = new CopyOnWriteArrayList<>();
        try (Engine e = engine(2, started)) {
            List<Collector> all = new ArrayList<>();
            for (int i = 0; i < 6; i++) { // one request, n = 6, on a batch of 2
                Collector c = new Collector();
                e.submit(choice("big-" + i, "big", EngineTest.PROMPTS.get(0), 96), c);
                all.add(c);
            }
            Collector small = new Collector();
            e.submit(choice("small", "small", EngineTest.PROMPTS.get(1), 8), small);
            all.add(small);
            for (Collector c : all) {
                c.done.join();
            }

            // first come first served would start it seventh, after every choice of the request before it; here it
            // takes the first slot free after it came (second or third, as the scheduler took big-1 before or after)
            assertThat(started).hasSize(7);
            assertThat(started.indexOf("small")).as("start order %s", started).isBetween(1, 2);
            assertThat(started.stream().filter(id -> id.startsWith("big")).toList())
                    .as("one request's choices keep their order").containsExactly(
                            "big-0", "big-1", "big-2", "big-3", "big-4", "big-5");
        }
    }

    @Test
    void requests_that_hold_as_many_slots_are_served_first_come_first_served() throws Exception {
        List<String> started = new CopyOnWriteArrayList<>();
        try (Engine e = engine(1, started)) {
            List<Collector> all = new ArrayList<>();
            for (String id : List.of("a", "b", "c", "d")) {
                Collector c = new Collector();
                e.submit(choice(id, id, EngineTest.PROMPTS.get(0), 8), c);
                all.add(c);
            }
            for (Collector c : all) {
                c.done.join();
            }

            assertThat(started).containsExactly("a", "b", "c", "d");
        }
    }
}
