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

    /** Waits until {@code c} has a token or is done, failing the test (not hanging it) after a minute. */
    static void awaitFirstToken(Collector c) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (c.tokens.isEmpty() && !c.done.isDone()) {
            assertThat(System.nanoTime()).as("a first token or an answer within a minute").isLessThan(deadline);
            Thread.sleep(1);
        }
    }
}
