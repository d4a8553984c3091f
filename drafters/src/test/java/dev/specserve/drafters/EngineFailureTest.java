package dev.specserve.drafters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.specserve.runtime.engine.Engine;
import dev.specserve.runtime.engine.EngineConfig;
import dev.specserve.runtime.engine.EngineListener;
import dev.specserve.runtime.engine.EngineRequest;
import dev.specserve.runtime.engine.ServiceUnavailableException;
import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.FinishReason;
import dev.specserve.runtime.spec.RoundResult;
import dev.specserve.runtime.spec.SamplingParams;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * How the engine fails and stops: a warm-up that fails or is interrupted, a thread killed by an Error, a request after
 * shutdown, an Error in a round with prompt chunks beside it. Every request is answered, and the engine either
 * serves on or says it never will.
 */
class EngineFailureTest {
    static ModelStack stack;

    @BeforeAll
    static void open() {
        stack = Stack.load();
    }

    @AfterAll
    static void close() {
        stack.close();
    }

    /** An engine whose one strategy is {@code drafter}, its default. */
    static Engine engineOnly(dev.specserve.runtime.spec.Drafter drafter) {
        EngineConfig d = EngineConfig.defaults();
        return new Engine(stack.target(), stack.tokenizer(), name -> drafter, List.of(drafter.name()), "m", () -> 0,
                new EngineConfig(d.maxBatch(), d.queueCapacity(), d.maxTokensLimit(), drafter.name(), d.defaultBudget(),
                        d.requestTimeoutMillis(), d.prefixCacheBytes(), d.prefixBlockTokens(), d.prefillChunkTokens(),
                        false));
    }

    static long engineThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("specserve-engine") && t.isAlive()).count();
    }

    @Test
    void an_engine_closed_during_its_warm_up_stops_there_and_returns_only_once_its_thread_has_ended() {
        long before = engineThreads();
        Engine e = stack.newEngine(EngineConfig.defaults());

        e.close(); // the warm-up has just begun: the models it runs must outlive its thread (a crash otherwise)

        assertThat(engineThreads()).as("no engine thread left running on the models").isEqualTo(before);
        assertThat(e.ready()).isFalse();
        try (Engine again = stack.newEngine(EngineConfig.defaults())) {
            EngineTest.Collector c = new EngineTest.Collector();
            again.submit(EngineTest.request("after", EngineTest.PROMPTS.get(0), 8), c);
            assertThat(c.done.join().tokens()).hasSize(8);
        }
    }

    @Test
    void an_engine_whose_warm_up_fails_says_so_and_never_reports_ready() {
        dev.specserve.runtime.spec.Drafter broken = new dev.specserve.runtime.spec.Drafter() {
            @Override
            public String name() {
                return "broken";
            }

            @Override
            public dev.specserve.runtime.spec.DraftSession newSession() {
                throw new IllegalStateException("this drafter cannot run");
            }
        };
        try (Engine e = engineOnly(broken)) {
            assertThat(e.warmedUp()).failsWithin(java.time.Duration.ofSeconds(60))
                    .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                    .withMessageContaining("this drafter cannot run");
            assertThat(e.ready()).isFalse();
        }
    }

    @Test
    void an_error_that_kills_the_engine_thread_in_its_warm_up_leaves_no_request_unanswered() throws Exception {
        java.util.concurrent.CountDownLatch warming = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch queued = new java.util.concurrent.CountDownLatch(1);
        dev.specserve.runtime.spec.Drafter dying = new dev.specserve.runtime.spec.Drafter() {
            @Override
            public String name() {
                return "dying";
            }

            @Override
            public dev.specserve.runtime.spec.DraftSession newSession() {
                warming.countDown();
                try {
                    queued.await(30, TimeUnit.SECONDS); // a request arrives while the warm-up runs
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new StackOverflowError("the warm-up's first forward");
            }
        };
        try (Engine e = engineOnly(dying)) {
            warming.await();
            EngineTest.Collector early = new EngineTest.Collector();
            try {
                e.submit(new EngineRequest("early", EngineTest.PROMPTS.get(0), 4, SamplingParams.GREEDY, List.of(), "dying", null,
                        null, 0), early);
            } finally {
                queued.countDown();
            }

            assertThat(early.done).as("answered, not left in a queue nobody reads")
                    .failsWithin(java.time.Duration.ofSeconds(30))
                    .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                    .withCauseInstanceOf(ServiceUnavailableException.class);
            assertThat(e.warmedUp()).failsWithin(java.time.Duration.ofSeconds(5));
            for (int i = 0; i < 500 && !e.failed(); i++) { // it answers what it held just before it ends
                Thread.sleep(10);
            }
            assertThat(e.failed()).as("the thread is gone").isTrue();
            assertThat(e.ready()).isFalse();
            assertThatThrownBy(() -> e.submit(new EngineRequest("late", EngineTest.PROMPTS.get(0), 4, SamplingParams.GREEDY,
                    List.of(), "dying", null, null, 0), new EngineTest.Collector()))
                    .isInstanceOf(ServiceUnavailableException.class).hasMessageContaining("engine thread has stopped");
        }
    }

    @Test
    void aRequestAfterShutdownIsRefusedAsUnavailable() {
        Engine engine = stack.newEngine(EngineConfig.defaults());
        engine.close();

        assertThatThrownBy(() -> engine.submit(EngineTest.request("after", EngineTest.PROMPTS.get(0), 4), new EngineTest.Collector()))
                .isInstanceOf(ServiceUnavailableException.class)
                .hasMessageContaining("shutting down");
    }

    /**
     * An Error thrown by a round (out of memory; here a listener's AssertionError) while prompt chunks run beside it
     * on the prefill thread: the engine waits for those chunks before it fails and frees their slots. It caught
     * only RuntimeExceptions there, so it released requests the prefill thread was still writing into (and could
     * hand their slots to new requests mid-write).
     */
    @Test
    void anErrorInARoundWaitsForThePromptChunksBesideItBeforeReleasingTheirRequests() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean armed = new java.util.concurrent.atomic.AtomicBoolean();
        AtomicInteger thrown = new AtomicInteger();
        AtomicInteger releasedUnderAChunk = new AtomicInteger();
        try (Engine engine = stack.newEngine(new EngineConfig(4, 16, 0, "specblock-fixed", new DraftBudget(6, 4), 0, 0,
                32, 64, true))) {
            engine.warmedUp().get(60, TimeUnit.SECONDS);
            engine.addListener(new EngineListener() {
                @Override
                public void onStarted(String id, long queuedNanos, int promptTokens, int prefixHit) {
                    if (id.startsWith("C")) {
                        armed.set(true);
                    }
                }

                @Override
                public void onRound(String id, String strategy, long v, String domain, RoundResult r, int[] emitted) {
                    if (armed.compareAndSet(true, false)) {
                        thrown.incrementAndGet();
                        throw new AssertionError("injected: stands for an OutOfMemoryError in the round");
                    }
                    try { // slow rounds until then: the chunks beside them are sized to take as long
                        Thread.sleep(15);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            });
            for (int trial = 0; trial < 12; trial++) {
                EngineTest.Collector a = new EngineTest.Collector();
                engine.submit(new EngineRequest("A" + trial, EngineTest.PROMPTS.get(0), 120, SamplingParams.GREEDY, List.of(),
                        "none", null, null, 0), a);
                EngineTest.awaitFirstToken(a);
                List<EngineTest.Collector> others = List.of(new EngineTest.Collector(), new EngineTest.Collector());
                engine.submit(EngineTest.request("B" + trial, EngineTest.PROMPTS.get(1).repeat(6), 20), others.get(0)); // several chunks
                engine.submit(EngineTest.request("C" + trial, EngineTest.PROMPTS.get(2).repeat(6), 20), others.get(1));
                for (EngineTest.Collector c : List.of(a, others.get(0), others.get(1))) {
                    c.done.handle((r, e) -> null).get(60, TimeUnit.SECONDS);
                }
                for (int look = 0; look < 50; look++) { // every request answered: no chunk of theirs may still run
                    for (var e : Thread.getAllStackTraces().entrySet()) {
                        if (e.getKey().getName().equals("specserve-prefill") && java.util.Arrays.stream(e.getValue())
                                .anyMatch(f -> f.getMethodName().equals("prefill") && f.getClassName().endsWith(".Sequence"))) {
                            releasedUnderAChunk.incrementAndGet();
                        }
                    }
                    Thread.sleep(2);
                }
            }

            assertThat(thrown.get()).as("rounds that threw").isPositive();
            assertThat(releasedUnderAChunk.get()).as("requests released while a chunk of theirs ran").isZero();
            EngineTest.Collector after = new EngineTest.Collector();
            engine.submit(EngineTest.request("after", EngineTest.PROMPTS.get(0), 16), after);
            assertThat(after.done.get(60, TimeUnit.SECONDS).finishReason()).as("the engine serves on")
                    .isIn(FinishReason.LENGTH, FinishReason.STOP);
        }
    }
}
