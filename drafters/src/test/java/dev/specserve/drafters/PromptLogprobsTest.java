package dev.specserve.drafters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import dev.specserve.runtime.kv.KvCache;
import dev.specserve.runtime.model.Masks;
import dev.specserve.runtime.model.TargetOutput;
import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.GenerationRequest;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.RoundListener;
import dev.specserve.runtime.spec.SamplingParams;
import dev.specserve.runtime.spec.TokenLogprob;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * vLLM's prompt logprobs (what OpenAI's echo with logprobs reports, and what evaluation harnesses score answers
 * with): each prompt token after the first gets the log-softmax of the raw logits at the position before it,
 * whatever the strategy, the sampling settings or the prefill's chunking; the first gets NaN (null in JSON).
 */
class PromptLogprobsTest {
    static ModelStack stack;
    static final String PROMPT = "def fibonacci(n):\n    if n < 2:\n        return n\n    return fibonacci(n - 1) + ";

    @BeforeAll
    static void open() {
        stack = Stack.load();
    }

    @AfterAll
    static void close() {
        stack.close();
    }

    /** One forward over the whole prompt with every row's logits, log-softmaxed here. */
    static double[][] reference(int[] prompt) {
        KvCache cache = stack.target().newCache(prompt.length + 1);
        int[] pos = new int[prompt.length];
        for (int i = 0; i < pos.length; i++) {
            pos[i] = i;
        }
        TargetOutput o = stack.target().forward(prompt, pos, Masks.causal(prompt.length, 0), cache);
        double[][] lp = new double[prompt.length][o.vocab()];
        for (int r = 0; r < prompt.length; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < o.vocab(); v++) {
                max = Math.max(max, o.logit(r, v));
            }
            double sum = 0;
            for (int v = 0; v < o.vocab(); v++) {
                sum += Math.exp(o.logit(r, v) - max);
            }
            for (int v = 0; v < o.vocab(); v++) {
                lp[r][v] = o.logit(r, v) - max - Math.log(sum);
            }
        }
        return lp;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"none", "auto", "specblock-fixed"})
    void everyPromptTokenAfterTheFirstGetsTheRawLogprobOfThePositionBeforeIt(String strategy) {
        int[] ids = stack.tokenizer().encode(PROMPT);
        double[][] expected = reference(ids);
        var drafter = stack.strategy(strategy, DrafterConfig.expanding());
        // sampled, penalised and biased: none of it touches the prompt's logprobs
        SamplingParams p = new SamplingParams(0.7, 0.9, 5).withPenalties(0.5, 0.5, java.util.Map.of(7, 3.0))
                .withLogprobs(1).withPromptLogprobs(3);

        GenerationResult r = stack.decoder().generate(new GenerationRequest(ids, 6, p, List.of(),
                drafter.defaultBudget(new DraftBudget(24, 8))), drafter, RoundListener.NONE, () -> false);

        List<TokenLogprob> lps = r.promptLogprobs();
        assertThat(lps).hasSize(ids.length);
        assertThat(lps.get(0).token()).isEqualTo(ids[0]);
        assertThat(lps.get(0).logprob()).isNaN();
        for (int i = 1; i < ids.length; i++) {
            TokenLogprob t = lps.get(i);
            assertThat(t.token()).isEqualTo(ids[i]);
            assertThat(t.logprob()).as("prompt token %d", i).isCloseTo(expected[i - 1][ids[i]], offset(1e-4));
            assertThat(t.top()).hasSize(3);
            assertThat(t.top().get(0).logprob()).as("most likely first")
                    .isCloseTo(java.util.Arrays.stream(expected[i - 1]).max().orElseThrow(), offset(1e-4));
        }
        assertThat(r.logprobs()).as("the output's own logprobs are still there").hasSize(r.tokens().length);
    }

    @ParameterizedTest(name = "chunks of {0}")
    @ValueSource(ints = {1, 7, 64})
    void chunkedPrefillGivesTheSameLogprobsAsOneChunk(int chunk) {
        int[] ids = stack.tokenizer().encode(PROMPT + PROMPT);
        double[][] expected = reference(ids);
        var drafter = stack.strategy("none", DrafterConfig.expanding());
        var seq = stack.decoder().open(new GenerationRequest(ids, 2, SamplingParams.GREEDY.withPromptLogprobs(0),
                List.of(), drafter.defaultBudget(new DraftBudget(24, 8))), drafter,
                stack.target().newCache(ids.length + 4), null);
        while (!seq.prefill(chunk)) {
            // chunk by chunk, as the scheduler interleaves them with running sequences
        }

        List<TokenLogprob> lps = seq.result().promptLogprobs();
        assertThat(lps).hasSize(ids.length);
        for (int i = 1; i < ids.length; i++) {
            assertThat(lps.get(i).logprob()).as("prompt token %d", i).isCloseTo(expected[i - 1][ids[i]], offset(1e-4));
        }
        seq.close();
    }
}
