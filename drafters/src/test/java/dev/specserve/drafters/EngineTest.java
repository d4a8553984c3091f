package dev.specserve.drafters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.specserve.runtime.engine.Engine;
import dev.specserve.runtime.engine.EngineConfig;
import dev.specserve.runtime.engine.EngineListener;
import dev.specserve.runtime.engine.EngineRequest;
import dev.specserve.runtime.engine.GenerationHandle;
import dev.specserve.runtime.engine.GenerationObserver;
import dev.specserve.runtime.engine.QueueFullException;
import dev.specserve.runtime.engine.RequestStats;
import dev.specserve.runtime.engine.ServiceUnavailableException;
import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.FinishReason;
import dev.specserve.runtime.spec.GenerationRequest;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.InvalidRequestException;
import dev.specserve.runtime.spec.RoundListener;
import dev.specserve.runtime.spec.RoundResult;
import dev.specserve.runtime.spec.SamplingParams;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class EngineTest {
    static ModelStack stack;

    @BeforeAll
    static void open() {
        stack = Stack.load();
    }

    @AfterAll
    static void close() {
        stack.close();
    }

    static final List<String> PROMPTS = GreedyEqualsAutoregressiveTest.PROMPTS;

    static EngineRequest request(String id, String prompt, int maxTokens) {
        return new EngineRequest(id, prompt, maxTokens, SamplingParams.GREEDY, List.of(), "specblock", null, null, 0);
    }

    /** Collects one request's stream. */
    static final class Collector implements GenerationObserver {
        final CompletableFuture<GenerationResult> done = new CompletableFuture<>();
        final StringBuilder text = new StringBuilder();
        final List<Integer> tokens = new ArrayList<>();
        volatile RequestStats stats;

        @Override
        public void onTokens(int[] t, String delta) {
            for (int x : t) {
                tokens.add(x);
            }
            text.append(delta);
        }

        @Override
        public void onComplete(GenerationResult result, RequestStats s) {
            stats = s;
            done.complete(result);
        }

        @Override
        public void onError(Throwable error) {
            done.completeExceptionally(error);
        }
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
            Collector c = new Collector();
            again.submit(request("after", PROMPTS.get(0), 8), c);
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
            Collector early = new Collector();
            try {
                e.submit(new EngineRequest("early", PROMPTS.get(0), 4, SamplingParams.GREEDY, List.of(), "dying", null,
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
            assertThatThrownBy(() -> e.submit(new EngineRequest("late", PROMPTS.get(0), 4, SamplingParams.GREEDY,
                    List.of(), "dying", null, null, 0), new Collector()))
                    .isInstanceOf(ServiceUnavailableException.class).hasMessageContaining("engine thread has stopped");
        }
    }

    @Test
    void a_max_tokens_limit_of_zero_lets_a_request_fill_the_context_as_vllm_does() {
        EngineConfig d = EngineConfig.defaults();
        try (Engine e = stack.newEngine(new EngineConfig(d.maxBatch(), d.queueCapacity(), 0, "none", d.defaultBudget(),
                d.requestTimeoutMillis(), 0, d.prefixBlockTokens()))) {
            assertThat(e.maxTokensLimit()).isEqualTo(e.contextLength() - 1);
            Collector c = new Collector();
            int[] prompt = stack.tokenizer().encode(PROMPTS.get(0));
            e.submit(new EngineRequest("fill", PROMPTS.get(0), e.contextLength() - prompt.length,
                    SamplingParams.GREEDY, List.of(), "none", null, null, 0), c);
            assertThat(c.done.join().tokens().length).isPositive();
        }
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"specblock", "suffix", "hybrid", "auto"})
    void sequencesVerifiedTogetherInOneBatchProduceTheirUnbatchedGreedyOutputs(String strategy) throws Exception {
        EngineConfig cfg = new EngineConfig(4, 16, 256, strategy, new DraftBudget(24, 8), 60_000, 0, 32);
        AtomicInteger batchedRounds = new AtomicInteger();
        try (Engine engine = stack.newEngine(cfg)) {
            engine.addListener(new EngineListener() {
                @Override
                public void onRound(String id, String s, long v, String d, RoundResult r, int[] e) {
                    if (engine.running() > 1) {
                        batchedRounds.incrementAndGet();
                    }
                }
            });
            List<Collector> collectors = new ArrayList<>();
            for (int i = 0; i < PROMPTS.size(); i++) {
                Collector c = new Collector();
                engine.submit(request("r" + i, PROMPTS.get(i), 40), c);
                collectors.add(c);
            }
            for (int i = 0; i < PROMPTS.size(); i++) {
                GenerationResult batched = collectors.get(i).done.get(120, TimeUnit.SECONDS);
                GenerationResult alone = stack.decoder().generate(GenerationRequest.greedy(
                        stack.tokenizer().encode(PROMPTS.get(i)), 40, new DraftBudget(24, 8)),
                        stack.strategy("none", DrafterConfig.expanding()), RoundListener.NONE, () -> false);
                assertThat(batched.tokens()).as("prompt %d", i).containsExactly(alone.tokens());
                assertThat(collectors.get(i).text.toString()).isEqualTo(alone.text());
            }
            assertThat(batchedRounds.get()).as("rounds verified while several sequences ran").isPositive();
        }
    }

    /** Prompts arriving while others decode are prefilled on a second thread beside the rounds; nothing changes. */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"specblock", "auto"})
    void promptsPrefilledBesideTheRoundsGiveTheirUnbatchedGreedyOutputs(String strategy) throws Exception {
        EngineConfig cfg = new EngineConfig(4, 16, 256, strategy, new DraftBudget(24, 8), 60_000, 0, 32, 16)
                .withPrefillOverlap(true);
        try (Engine engine = stack.newEngine(cfg)) {
            List<Collector> collectors = new ArrayList<>();
            List<String> prompts = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String prompt = PROMPTS.get(i % PROMPTS.size()).repeat(1 + i % 3); // 16-token chunks: several each
                Collector c = new Collector();
                engine.submit(request("r" + i, prompt, 24 + 4 * i), c);
                collectors.add(c);
                prompts.add(prompt);
                awaitFirstToken(c); // the next one arrives while this one decodes
            }
            for (int i = 0; i < collectors.size(); i++) {
                GenerationResult overlapped = collectors.get(i).done.get(120, TimeUnit.SECONDS);
                GenerationResult alone = stack.decoder().generate(GenerationRequest.greedy(
                        stack.tokenizer().encode(prompts.get(i)), 24 + 4 * i, new DraftBudget(24, 8)),
                        stack.strategy("none", DrafterConfig.expanding()), RoundListener.NONE, () -> false);
                assertThat(overlapped.tokens()).as("request %d", i).containsExactly(alone.tokens());
            }
        }
    }

    @Test
    void cancellingARunningRequestStopsItAndFreesItsSlot() throws Exception {
        EngineConfig cfg = new EngineConfig(2, 4, 512, "none", new DraftBudget(24, 8), 60_000, 0, 32);
        try (Engine engine = stack.newEngine(cfg)) {
            Collector c = new Collector();
            GenerationHandle h = engine.submit(request("long", PROMPTS.get(0), 400), c);
            while (c.tokens.size() < 3) {
                Thread.sleep(5);
            }
            h.cancel();
            GenerationResult r = c.done.get(30, TimeUnit.SECONDS);

            assertThat(r.finishReason()).isEqualTo(FinishReason.CANCELLED);
            assertThat(r.tokens().length).isLessThan(400);
            assertThat(engine.running()).isZero();
        }
    }

    @Test
    void aFullQueueRejectsNewRequestsUntilThereIsRoom() throws Exception {
        EngineConfig cfg = new EngineConfig(1, 1, 512, "none", new DraftBudget(24, 8), 60_000, 0, 32);
        try (Engine engine = stack.newEngine(cfg)) {
            while (!engine.ready()) {
                Thread.sleep(10);
            }
            Collector running = new Collector();
            engine.submit(request("a", PROMPTS.get(0), 200), running);
            while (engine.running() == 0) {
                Thread.sleep(2);
            }
            Collector queued = new Collector();
            engine.submit(request("b", PROMPTS.get(1), 4), queued);

            assertThatThrownBy(() -> engine.submit(request("c", PROMPTS.get(2), 4), new Collector()))
                    .isInstanceOf(QueueFullException.class);
            running.done.get(60, TimeUnit.SECONDS);
            assertThat(queued.done.get(60, TimeUnit.SECONDS).tokens()).hasSize(4);
        }
    }

    @Test
    void aWaitingRequestThatIsCancelledOrRunsOutOfTimeIsAnsweredWithoutWaitingForASlot() throws Exception {
        EngineConfig cfg = new EngineConfig(1, 4, 512, "none", new DraftBudget(24, 8), 0, 0, 32);
        try (Engine engine = stack.newEngine(cfg)) {
            while (!engine.ready()) {
                Thread.sleep(10);
            }
            Collector running = new Collector();
            GenerationHandle longOne = engine.submit(request("long", PROMPTS.get(0), 400), running);
            while (engine.running() == 0) {
                Thread.sleep(2);
            }
            Collector cancelled = new Collector();
            engine.submit(request("cancelled", PROMPTS.get(1), 4), cancelled).cancel();
            Collector late = new Collector();
            engine.submit(new EngineRequest("late", PROMPTS.get(2), 4, SamplingParams.GREEDY, List.of(), "none", null,
                    null, 50), late);

            assertThat(cancelled.done.get(10, TimeUnit.SECONDS).finishReason()).isEqualTo(FinishReason.CANCELLED);
            assertThatThrownBy(() -> late.done.get(10, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(ServiceUnavailableException.class)
                    .hasMessageContaining("without a batch slot");
            assertThat(running.done).as("both answered while the one slot stayed taken").isNotDone();
            assertThat(engine.waiting()).isZero();
            longOne.cancel();
            running.done.get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aRequestAfterShutdownIsRefusedAsUnavailable() {
        Engine engine = stack.newEngine(EngineConfig.defaults());
        engine.close();

        assertThatThrownBy(() -> engine.submit(request("after", PROMPTS.get(0), 4), new Collector()))
                .isInstanceOf(ServiceUnavailableException.class)
                .hasMessageContaining("shutting down");
    }

    @Test
    void aQueuedRequestNotStartedWithinHalfItsTimeoutIsRefusedRatherThanStartedToBeCutShort() throws Exception {
        EngineConfig d = EngineConfig.defaults();
        try (Engine engine = stack.newEngine(new EngineConfig(1, 4, 0, "none", d.defaultBudget(), 60_000, 0,
                d.prefixBlockTokens()))) {
            engine.warmedUp().get(60, TimeUnit.SECONDS); // no round before the warm-up's
            Collector hog = new Collector(); // holds the one slot until its own 300 ms run out
            engine.submit(new EngineRequest("hog", PROMPTS.get(0), 480, SamplingParams.GREEDY, List.of(), "none",
                    null, null, 300), hog);
            Collector queued = new Collector();
            long t0 = System.nanoTime();
            engine.submit(new EngineRequest("queued", PROMPTS.get(1), 16, SamplingParams.GREEDY, List.of(), "none",
                    null, null, 400), queued);

            // before: started when the hog's slot freed at 300 ms, with 100 ms left, and cut short as "timeout"
            assertThat(queued.done).failsWithin(java.time.Duration.ofSeconds(30))
                    .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                    .havingCause().isInstanceOfSatisfying(ServiceUnavailableException.class, e -> {
                        assertThat(e.reason()).isEqualTo(ServiceUnavailableException.QUEUE_TIMEOUT);
                        assertThat(e.getMessage()).contains("over half its timeout of 400 ms");
                    });
            assertThat((System.nanoTime() - t0) / 1e6).as("refused at half its timeout, not at its end")
                    .isLessThan(300);
            assertThat(hog.done.get(30, TimeUnit.SECONDS).finishReason()).isEqualTo(FinishReason.TIMEOUT);
        }
    }

    @Test
    void aTimeoutTooLongToAddToTheClockMeansNoTimeout() throws Exception {
        try (Engine engine = stack.newEngine(EngineConfig.defaults())) {
            Collector c = new Collector();
            engine.submit(new EngineRequest("patient", PROMPTS.get(0), 4, SamplingParams.GREEDY, List.of(), "none",
                    null, null, Long.MAX_VALUE / 1_000), c);

            assertThat(c.done.get(60, TimeUnit.SECONDS).finishReason()).isEqualTo(FinishReason.LENGTH);
        }
    }

    @Test
    void aRepeatedPromptReusesItsCachedPrefixAndGivesTheSameOutput() throws Exception {
        EngineConfig cfg = new EngineConfig(1, 4, 256, "specblock", new DraftBudget(24, 8), 60_000, 64L << 20, 16);
        String prompt = PROMPTS.get(2).repeat(2);
        try (Engine engine = stack.newEngine(cfg)) {
            Collector first = new Collector();
            engine.submit(request("p1", prompt, 16), first);
            GenerationResult a = first.done.get(60, TimeUnit.SECONDS);
            Collector second = new Collector();
            engine.submit(request("p2", prompt, 16), second);
            GenerationResult b = second.done.get(60, TimeUnit.SECONDS);

            assertThat(first.stats.prefixCacheHitTokens()).isZero();
            assertThat(second.stats.prefixCacheHitTokens()).isPositive();
            assertThat(b.tokens()).containsExactly(a.tokens());
            assertThat(engine.prefixCache().bytes()).isPositive();
        }
    }

    @Test
    void aSharedSystemPromptFollowedByDifferentUserSuffixesReusesTheLongestCachedPrefixAndKeepsTheUncachedOutput()
            throws Exception {
        int block = 16;
        EngineConfig cfg = new EngineConfig(2, 4, 256, "specblock", new DraftBudget(24, 8), 60_000, 64L << 20, block);
        String system = PROMPTS.get(2) + PROMPTS.get(0) + PROMPTS.get(3);
        List<String> prompts = List.of(system + "\ndef first(items):\n", system + "\nclass Second:\n    def ",
                system + "\n# third\nimport os\n", PROMPTS.get(1));
        List<int[]> seen = new ArrayList<>();
        long promptTokens = 0;
        long expectedHits = 0;
        try (Engine engine = stack.newEngine(cfg)) {
            for (int i = 0; i < prompts.size(); i++) {
                int[] ids = stack.tokenizer().encode(prompts.get(i));
                int longest = 0;                           // the longest block-aligned prefix any earlier prompt stored
                for (int[] earlier : seen) {
                    int common = java.util.Arrays.mismatch(ids, earlier);
                    common = common < 0 ? ids.length : common;
                    int storedByEarlier = (earlier.length - 1) / block * block;
                    longest = Math.max(longest, Math.min(Math.min(common, storedByEarlier), (ids.length - 1) / block * block)
                            / block * block);
                }
                Collector c = new Collector();
                engine.submit(request("s" + i, prompts.get(i), 24), c);
                GenerationResult cached = c.done.get(60, TimeUnit.SECONDS);
                GenerationResult uncached = stack.decoder().generate(GenerationRequest.greedy(ids, 24,
                        new DraftBudget(24, 8)), stack.strategy("none", DrafterConfig.expanding()), RoundListener.NONE,
                        () -> false);

                assertThat(c.stats.prefixCacheHitTokens()).as("prompt %d reuses the longest cached prefix", i)
                        .isEqualTo(longest);
                assertThat(cached.tokens()).as("prompt %d", i).containsExactly(uncached.tokens());
                seen.add(ids);
                promptTokens += ids.length;
                expectedHits += longest;
            }
            assertThat(expectedHits).as("the suffixed prompts shared the system prompt").isGreaterThanOrEqualTo(2L * 4 * block);
            assertThat(engine.prefixCache().hitRate()).as("hit rate counts prompt tokens")
                    .isCloseTo((double) expectedHits / promptTokens, org.assertj.core.data.Offset.offset(1e-9));
        }
    }

    @Test
    void invalidRequestsAreRefusedBeforeAnyModelCallNamingTheField() {
        try (Engine engine = stack.newEngine(EngineConfig.defaults())) {
            assertThatThrownBy(() -> engine.submit(request("x", "", 4), new Collector()))
                    .isInstanceOf(InvalidRequestException.class).extracting("field").isEqualTo("prompt");
            assertThatThrownBy(() -> engine.submit(request("x", "hi", 100_000), new Collector()))
                    .extracting("field").isEqualTo("max_tokens");
            assertThatThrownBy(() -> engine.submit(new EngineRequest("x", "hi", 4, SamplingParams.GREEDY, List.of(),
                    "medusa", null, null, 0), new Collector())).extracting("field").isEqualTo("strategy");
            assertThatThrownBy(() -> engine.submit(request("x", "word ".repeat(3000), 4), new Collector()))
                    .extracting("field").isEqualTo("prompt");
            int context = engine.contextLength();
            for (int[] tokens : new int[][] {{}, {1, engine.vocabulary().size()}, {-1}}) {
                assertThatThrownBy(() -> engine.submit(tokenPrompt(tokens, 4), new Collector()))
                        .as("token prompt %s", java.util.Arrays.toString(tokens)).extracting("field").isEqualTo("prompt");
            }
            assertThatThrownBy(() -> engine.precheck(tokenPrompt(new int[context - 3], 4)))
                    .as("cheap: no tokenizing, no model call").extracting("field").isEqualTo("max_tokens");
        }
    }

    static EngineRequest tokenPrompt(int[] tokens, int maxTokens) {
        return new EngineRequest("t", null, maxTokens, SamplingParams.GREEDY, List.of(), "none", null, null, 0, tokens);
    }

    @Test
    void aTokenPromptGivesTheOutputOfTheTextItWasTokenizedFrom() throws Exception {
        try (Engine engine = stack.newEngine(EngineConfig.defaults())) {
            String text = "def fib(n):\n    if n < 2:";
            Collector fromText = new Collector();
            Collector fromTokens = new Collector();
            engine.submit(request("text", text, 12), fromText);
            engine.submit(tokenPrompt(engine.vocabulary().tokenize(text, true), 12), fromTokens);

            assertThat(fromTokens.done.get(60, TimeUnit.SECONDS).tokens())
                    .isEqualTo(fromText.done.get(60, TimeUnit.SECONDS).tokens());
            assertThat(engine.vocabulary().detokenize(engine.vocabulary().tokenize(text, true))).isEqualTo(text);
        }
    }

    @Test
    void drafterSwapsUnderConcurrentLoadFailNoRequestAndChangeNoGreedyOutput() throws Exception {
        EngineConfig cfg = new EngineConfig(3, 16, 256, "specblock", new DraftBudget(12, 6), 60_000, 0, 32);
        var versions = stack.versions();
        var bundled = versions.current();
        var info = stack.manifest().drafter();
        List<dev.specserve.drafters.DrafterVersion> candidates = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            candidates.add(versions.create(dev.specserve.drafters.update.AdapterTrainer.initial(info.adapterRank(),
                    info.dim(), 40 + i), bundled.id(), java.util.Map.of()));
        }
        AtomicInteger swaps = new AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread swapper = new Thread(() -> {
            while (running.get()) {
                versions.activate(candidates.get(swaps.getAndIncrement() % candidates.size()));
                try {
                    Thread.sleep(3);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        try (Engine engine = stack.newEngine(cfg, DrafterConfig.expanding())) {
            List<Collector> collectors = new ArrayList<>();
            swapper.start();
            for (int i = 0; i < PROMPTS.size(); i++) {
                Collector c = new Collector();
                engine.submit(request("s" + i, PROMPTS.get(i), 40), c);
                collectors.add(c);
            }
            for (int i = 0; i < PROMPTS.size(); i++) {
                GenerationResult swapped = collectors.get(i).done.get(120, TimeUnit.SECONDS);
                GenerationResult alone = stack.decoder().generate(GenerationRequest.greedy(
                        stack.tokenizer().encode(PROMPTS.get(i)), 40, new DraftBudget(12, 6)),
                        stack.strategy("none", DrafterConfig.expanding()), RoundListener.NONE, () -> false);
                assertThat(swapped.tokens()).as("prompt %d", i).containsExactly(alone.tokens());
            }
        } finally {
            running.set(false);
            swapper.join();
            versions.activate(bundled);
        }
        assertThat(swaps.get()).as("swaps made while serving").isGreaterThan(3);
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
                Collector a = new Collector();
                engine.submit(new EngineRequest("A" + trial, PROMPTS.get(0), 120, SamplingParams.GREEDY, List.of(),
                        "none", null, null, 0), a);
                awaitFirstToken(a);
                List<Collector> others = List.of(new Collector(), new Collector());
                engine.submit(request("B" + trial, PROMPTS.get(1).repeat(6), 20), others.get(0)); // several chunks
                engine.submit(request("C" + trial, PROMPTS.get(2).repeat(6), 20), others.get(1));
                for (Collector c : List.of(a, others.get(0), others.get(1))) {
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
            Collector after = new Collector();
            engine.submit(request("after", PROMPTS.get(0), 16), after);
            assertThat(after.done.get(60, TimeUnit.SECONDS).finishReason()).as("the engine serves on")
                    .isIn(FinishReason.LENGTH, FinishReason.STOP);
        }
    }

    /** Waits until {@code c} has a token or is done, failing the test (not hanging it) after a minute. */
    private static void awaitFirstToken(Collector c) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (c.tokens.isEmpty() && !c.done.isDone()) {
            assertThat(System.nanoTime()).as("a first token or an answer within a minute").isLessThan(deadline);
            Thread.sleep(1);
        }
    }
}
