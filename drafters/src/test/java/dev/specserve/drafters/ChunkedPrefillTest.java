package dev.specserve.drafters;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.drafters.EngineTest.Collector;
import dev.specserve.runtime.engine.Engine;
import dev.specserve.runtime.engine.EngineConfig;
import dev.specserve.runtime.engine.EngineListener;
import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.GenerationRequest;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.RoundListener;
import dev.specserve.runtime.spec.RoundResult;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A long prompt is prefilled in chunks between the running sequences' rounds, not in one stalling forward. */
class ChunkedPrefillTest {
    static final int CHUNK = 32;
    static ModelStack stack;

    @BeforeAll
    static void open() {
        stack = Stack.load();
    }

    @AfterAll
    static void close() {
        stack.close();
    }

    /** A prompt of about {@code tokens} tokens of real code (the test prompts, repeated and cut). */
    static String promptOf(int tokens) {
        String text = String.join("\n", EngineTest.PROMPTS).repeat(40);
        int[] ids = Arrays.copyOf(stack.tokenizer().encode(text), tokens);
        return stack.tokenizer().decode(ids);
    }

    /** Both ways of admitting it: chunks between rounds on the scheduler thread, or beside them on a second one. */
    @ParameterizedTest(name = "prefill overlapping the rounds: {0}")
    @ValueSource(booleans = {false, true})
    void runningStreamsKeepEmittingWhileA480TokenPromptIsAdmittedAndEveryOutputStaysTheSame(boolean overlap)
            throws Exception {
        EngineConfig cfg = new EngineConfig(4, 16, 512, "none", new DraftBudget(24, 8), 120_000, 0, 32, CHUNK)
                .withPrefillOverlap(overlap);
        String longPrompt = promptOf(480);
        int longTokens = stack.tokenizer().encode(longPrompt).length;
        assertThat(longTokens).isBetween(460, 500);
        ConcurrentHashMap<String, AtomicInteger> rounds = new ConcurrentHashMap<>();
        AtomicLong longStarted = new AtomicLong();
        AtomicInteger roundsOfOthersDuringLongPrefill = new AtomicInteger();
        AtomicInteger longFirstToken = new AtomicInteger();
        try (Engine engine = stack.newEngine(cfg)) {
            engine.addListener(new EngineListener() {
                @Override
                public void onStarted(String id, long queueNanos, int promptTokens, int prefixHitTokens) {
                    if (id.equals("long")) {
                        longStarted.set(System.nanoTime());
                    }
                }

                @Override
                public void onFirstToken(String id, long ttft) {
                    if (id.equals("long")) {
                        longFirstToken.set(1);
                    }
                }

                @Override
                public void onRound(String id, String s, long v, String d, RoundResult r, int[] e) {
                    rounds.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
                    if (longStarted.get() != 0 && longFirstToken.get() == 0) {
                        roundsOfOthersDuringLongPrefill.incrementAndGet();
                    }
                }
            });
            Collector a = new Collector();
            Collector b = new Collector();
            engine.submit(EngineTest.request("a", EngineTest.PROMPTS.get(0), 160), a);
            engine.submit(EngineTest.request("b", EngineTest.PROMPTS.get(2), 160), b);
            while (a.tokens.size() < 8 || b.tokens.size() < 8) {
                Thread.sleep(2);
            }
            Collector longOne = new Collector();
            engine.submit(EngineTest.request("long", longPrompt, 512 - longTokens), longOne);

            GenerationResult longResult = longOne.done.get(120, TimeUnit.SECONDS);
            GenerationResult aResult = a.done.get(120, TimeUnit.SECONDS);
            GenerationResult bResult = b.done.get(120, TimeUnit.SECONDS);

            int chunks = (longTokens + CHUNK - 1) / CHUNK;
            assertThat(roundsOfOthersDuringLongPrefill.get())
                    .as("two streams x one round per %d-token chunk of the %d-token prompt", CHUNK, longTokens)
                    .isGreaterThanOrEqualTo(2 * (chunks - 1));
            for (var c : List.of(List.of(longPrompt, longResult), List.of(EngineTest.PROMPTS.get(0), aResult),
                    List.of(EngineTest.PROMPTS.get(2), bResult))) {
                GenerationResult r = (GenerationResult) c.get(1);
                GenerationResult alone = stack.decoder().generate(GenerationRequest.greedy(
                        stack.tokenizer().encode((String) c.get(0)), r.tokens().length, new DraftBudget(24, 8)),
                        stack.strategy("none", DrafterConfig.expanding()), RoundListener.NONE, () -> false);
                assertThat(r.tokens()).as("output after a chunked prefill equals a whole one").containsExactly(alone.tokens());
            }
        }
    }

    @Test
    void aPromptPrefilledInChunksDraftsAndDecodesExactlyAsAWholePrefill() throws Exception {
        String prompt = promptOf(200);
        int[] ids = stack.tokenizer().encode(prompt);
        var whole = stack.decoder().generate(GenerationRequest.greedy(ids, 32, new DraftBudget(24, 8)),
                stack.strategy("specblock", DrafterConfig.expanding()), RoundListener.NONE, () -> false);
        EngineConfig cfg = new EngineConfig(2, 4, 512, "specblock", new DraftBudget(24, 8), 60_000, 0, 32, 7);
        try (Engine engine = stack.newEngine(cfg)) {
            Collector running = new Collector();
            engine.submit(EngineTest.request("running", EngineTest.PROMPTS.get(1), 120), running);
            while (running.tokens.size() < 4) {
                Thread.sleep(2);
            }
            Collector chunked = new Collector();
            engine.submit(EngineTest.request("chunked", prompt, 32), chunked);
            assertThat(chunked.done.get(60, TimeUnit.SECONDS).tokens()).containsExactly(whole.tokens());
            running.done.get(60, TimeUnit.SECONDS);
        }
    }
}
