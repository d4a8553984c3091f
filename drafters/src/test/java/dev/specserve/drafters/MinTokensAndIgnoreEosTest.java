package dev.specserve.drafters;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.FinishReason;
import dev.specserve.runtime.spec.GenerationRequest;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.RoundListener;
import dev.specserve.runtime.spec.SamplingParams;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * vLLM's {@code min_tokens} and {@code ignore_eos}. A logit bias of +100 on EOS makes EOS the greedy choice at every
 * position, so what ends the output is decided by these two settings alone, whatever the model would write; and
 * a stop token the model writes often checks that every strategy masks exactly the rows plain decoding masks.
 */
class MinTokensAndIgnoreEosTest {
    static ModelStack stack;
    static final String PROMPT = "x = [1, 2, 3]\ny = [1, 2, 3]\nz = [1, 2, 3]\nw = [1, 2, 3]\nv = [1,";
    static final int TOKENS = 20;

    @BeforeAll
    static void open() {
        stack = Stack.load();
    }

    @AfterAll
    static void close() {
        stack.close();
    }

    static int eos() {
        return stack.tokenizer().eosId();
    }

    static SamplingParams eosBiased(int minTokens, boolean ignoreEos) {
        return SamplingParams.GREEDY.withPenalties(0, 0, Map.of(eos(), 100.0))
                .withStopping(Set.of(), minTokens, ignoreEos);
    }

    static int newline() {
        int[] ids = stack.tokenizer().encode("\n");
        return ids[ids.length - 1];
    }

    static GenerationResult generate(String strategy, SamplingParams p, List<String> stop) {
        int[] ids = stack.tokenizer().encode(PROMPT);
        var drafter = stack.strategy(strategy, DrafterConfig.expanding());
        return stack.decoder().generate(new GenerationRequest(ids, TOKENS, p, stop,
                drafter.defaultBudget(new DraftBudget(24, 8))), drafter, RoundListener.NONE, () -> false);
    }

    /** Plain greedy decoding by hand: stop ids (EOS and {@code stopIds}) masked below {@code minTokens}, then ending it. */
    static int[] handRolled(Set<Integer> stopIds, int minTokens) {
        return HandRolled.decode(stack, stack.tokenizer().encode(PROMPT), TOKENS, (o, row, output) -> {
            int best = -1;
            for (int v = 0; v < o.vocab(); v++) {
                boolean masked = output.length < minTokens && (v == eos() || stopIds.contains(v));
                if (!masked && (best < 0 || o.logit(row, v) > o.logit(row, best))) {
                    best = v;
                }
            }
            return best;
        }, stopIds::contains);
    }

    @Test
    void eosEndsTheOutputOnlyOnceMinTokensAreOut() {
        assertThat(generate("none", eosBiased(0, false), List.of()).tokens()).as("EOS first: nothing").isEmpty();

        GenerationResult r = generate("none", eosBiased(5, false), List.of());

        assertThat(r.tokens()).hasSize(5).doesNotContain(eos());
        assertThat(r.finishReason()).isEqualTo(FinishReason.STOP);
    }

    @Test
    void ignoreEosMakesEosAnOutputTokenCountedUpToMaxTokens() {
        GenerationResult r = generate("none", eosBiased(0, true), List.of());

        assertThat(r.tokens()).hasSize(TOKENS).containsOnly(eos());
        assertThat(r.text()).as("EOS has no text").isEmpty();
        assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);

        GenerationResult mixed = generate("none", eosBiased(3, true), List.of());
        assertThat(mixed.tokens()).hasSize(TOKENS);
        assertThat(Arrays.copyOf(mixed.tokens(), 3)).doesNotContain(eos());
        assertThat(Arrays.copyOfRange(mixed.tokens(), 3, TOKENS)).containsOnly(eos());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"none", "suffix", "specblock-fixed", "hybrid", "auto"})
    void everyStrategyMasksTheStopTokenExactlyWherePlainDecodingDoes(String strategy) {
        Set<Integer> stopIds = Set.of(newline());
        int[] unmasked = handRolled(stopIds, 0);
        int[] reference = handRolled(stopIds, 12);
        assertThat(unmasked.length).as("the model writes a newline early, or this test proves nothing").isLessThan(12);

        GenerationResult r = generate(strategy, SamplingParams.GREEDY.withStopping(stopIds, 12, false), List.of());

        assertThat(r.tokens()).as(strategy).containsExactly(reference);
        assertThat(r.tokens().length).isGreaterThanOrEqualTo(12);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"none", "suffix", "auto"})
    void stopStringsAreLookedForOnlyInTextEndingAfterMinTokens(String strategy) {
        int[] free = generate("none", SamplingParams.GREEDY, List.of()).tokens();
        String text = stack.tokenizer().decode(free);
        assertThat(text).as("the greedy text repeats ' 2'").contains(" 2");
        int minTokens = 10;
        String early = stack.tokenizer().decode(Arrays.copyOf(free, minTokens - 1));
        int later = text.indexOf(" 2", early.length() - " 2".length() + 1);

        GenerationResult r = generate(strategy, SamplingParams.GREEDY.withStopping(Set.of(), minTokens, false),
                List.of(" 2"));

        assertThat(early).as("' 2' occurs before the minimum, or this test proves nothing").contains(" 2");
        assertThat(later).as("and again after it").isGreaterThanOrEqualTo(0);
        assertThat(r.text()).as(strategy).isEqualTo(text.substring(0, later));
        assertThat(r.finishReason()).isEqualTo(FinishReason.STOP);
    }
}
