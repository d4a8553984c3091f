package dev.specserve.drafters;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.runtime.manifest.DrafterPrecision;
import dev.specserve.runtime.ort.ExecutionDevice;
import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.GenerationRequest;
import dev.specserve.runtime.spec.RoundListener;
import dev.specserve.runtime.spec.SamplingParams;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Prefill chunks on a session of their own with more threads ({@code prefill_threads}) change nothing but speed:
 * a long prompt's greedy and seeded continuations are token for token what a stack without that session gives.
 */
class WidePrefillTest {
    static ModelStack wide;
    static ModelStack plain;

    @BeforeAll
    static void open() {
        wide = ModelStack.load(Stack.modelDir(), ExecutionDevice.CPU, 1, 2, DrafterPrecision.AUTO, 0);
        plain = ModelStack.load(Stack.modelDir(), ExecutionDevice.CPU, 1, 1, DrafterPrecision.AUTO, 0);
    }

    @AfterAll
    static void close() {
        wide.close();
        plain.close();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"none", "auto"})
    void aLongPromptPrefilledOnTheWideSessionContinuesAsWithout(String strategy) {
        assertThat(wide.target().hasWideSession()).isTrue();
        assertThat(plain.target().hasWideSession()).isFalse();
        String text = String.join("\n", EngineTest.PROMPTS).repeat(20);
        int[] prompt = Arrays.copyOf(wide.tokenizer().encode(text), 300);
        long before = wide.target().wideForwards();

        for (SamplingParams params : List.of(SamplingParams.GREEDY, new SamplingParams(0.8, 1.0, 5))) {
            int[] onWide = generate(wide, strategy, prompt, params);
            int[] onPlain = generate(plain, strategy, prompt, params);
            assertThat(onWide).as("%s, temperature %s", strategy, params.temperature()).isEqualTo(onPlain);
        }
        assertThat(wide.target().wideForwards() - before).as("prompts prefilled on the wide session").isEqualTo(2);
    }

    private static int[] generate(ModelStack stack, String strategy, int[] prompt, SamplingParams params) {
        var drafter = stack.strategy(strategy, DrafterConfig.defaults());
        var request = new GenerationRequest(prompt, 24, params, List.of(), drafter.defaultBudget(new DraftBudget(24, 8)));
        return stack.decoder().generate(request, drafter, RoundListener.NONE, () -> false).tokens();
    }
}
