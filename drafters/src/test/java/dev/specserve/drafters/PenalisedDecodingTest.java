package dev.specserve.drafters;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.GenerationRequest;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.RoundListener;
import dev.specserve.runtime.spec.SamplingParams;
import dev.specserve.runtime.spec.TokenLogprob;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * presence/frequency/repetition penalties and logit_bias (vLLM semantics) in greedy decoding: every strategy's output
 * equals an independent, hand-rolled plain decoding loop that applies the penalties to the raw logits, and
 * the logprobs reported for tokens accepted from draft trees equal those of plain decoding.
 */
class PenalisedDecodingTest {
    static ModelStack stack;
    /** Repetitive code: without penalties the model repeats itself, so the penalties change the output. */
    static final String PROMPT = "x = [1, 2, 3]\ny = [1, 2, 3]\nz = [1, 2, 3]\nw = [1, 2, 3]\nv = [1,";
    static final int TOKENS = 24;

    @BeforeAll
    static void open() {
        stack = Stack.load();
    }

    @AfterAll
    static void close() {
        stack.close();
    }

    static SamplingParams penalised() {
        int[] ids = stack.tokenizer().encode(" 4");
        Map<Integer, Double> bias = new HashMap<>();
        bias.put(ids[ids.length - 1], 3.0);
        return SamplingParams.GREEDY.withPenalties(0.4, 0.7, bias).withVllmSampling(0, 0, 1.3);
    }

    /** Plain decoding, one target forward per token, penalties applied here by hand from the raw logits. */
    static int[] handRolled(int[] prompt, SamplingParams p, int steps) {
        java.util.Set<Integer> inPrompt = new java.util.HashSet<>();
        for (int t : prompt) {
            inPrompt.add(t);
        }
        return HandRolled.decode(stack, prompt, steps, (o, row, output) -> {
            Map<Integer, Integer> counts = new HashMap<>();
            for (int t : output) {
                counts.merge(t, 1, Integer::sum);
            }
            int best = 0;
            double bestValue = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < o.vocab(); v++) {
                double l = o.logit(row, v) + p.logitBias().getOrDefault(v, 0.0);
                int c = counts.getOrDefault(v, 0);
                if (c > 0 || inPrompt.contains(v)) { // vLLM's repetition penalty: prompt and output tokens
                    l = l > 0 ? l / p.repetitionPenalty() : l * p.repetitionPenalty();
                }
                l -= p.frequencyPenalty() * c + (c > 0 ? p.presencePenalty() : 0);
                if (l > bestValue) {
                    bestValue = l;
                    best = v;
                }
            }
            return best;
        }, t -> false);
    }

    static GenerationResult generate(String strategy, SamplingParams p) {
        int[] ids = stack.tokenizer().encode(PROMPT);
        var drafter = stack.strategy(strategy, DrafterConfig.expanding());
        return stack.decoder().generate(new GenerationRequest(ids, TOKENS, p, List.of(),
                drafter.defaultBudget(new DraftBudget(24, 8))), drafter, RoundListener.NONE, () -> false);
    }

    @Test
    void thePenaltiesChangeTheGreedyOutputAndPlainDecodingMatchesTheHandRolledReference() {
        int[] ids = stack.tokenizer().encode(PROMPT);
        int[] plain = generate("none", SamplingParams.GREEDY).tokens();
        int[] penalised = generate("none", penalised()).tokens();

        assertThat(penalised).as("penalties change greedy output").isNotEqualTo(plain);
        assertThat(penalised).containsExactly(handRolled(ids, penalised(), TOKENS));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"suffix", "specblock-fixed", "specblock", "hybrid", "auto"})
    void greedySpeculationWithPenaltiesEqualsPlainDecodingWithTheSamePenalties(String strategy) {
        int[] reference = handRolled(stack.tokenizer().encode(PROMPT), penalised(), TOKENS);
        GenerationResult r = generate(strategy, penalised());

        assertThat(r.tokens()).as(strategy).containsExactly(reference);
        if (!strategy.equals("specblock")) { // its planner may serve a loaded machine's rounds as plain steps
            assertThat(r.acceptedDraftTokens()).as("%s accepted draft tokens (trees were verified)", strategy)
                    .isGreaterThan(0);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"suffix", "specblock-fixed", "auto"})
    void logprobsOfTokensAcceptedFromTreesEqualThoseOfPlainDecoding(String strategy) {
        SamplingParams p = penalised().withLogprobs(3);
        GenerationResult plain = generate("none", p);
        GenerationResult spec = generate(strategy, p);

        assertThat(spec.tokens()).containsExactly(plain.tokens());
        assertThat(spec.acceptedDraftTokens()).isGreaterThan(0);
        List<TokenLogprob> a = plain.logprobs();
        List<TokenLogprob> b = spec.logprobs();
        assertThat(b).hasSize(spec.tokens().length);
        for (int i = 0; i < a.size(); i++) {
            assertThat(b.get(i).token()).isEqualTo(spec.tokens()[i]);
            assertThat(b.get(i).logprob()).as("token %d", i).isCloseTo(a.get(i).logprob(),
                    org.assertj.core.data.Offset.offset(1e-3));
            assertThat(b.get(i).top()).hasSize(3);
            assertThat(b.get(i).top().get(0).token()).as("greedy picks the top processed token").isEqualTo(b.get(i).token());
            assertThat(b.get(i).logprob()).isLessThanOrEqualTo(0);
        }
    }
}
