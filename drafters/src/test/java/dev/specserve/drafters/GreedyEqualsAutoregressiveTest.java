package dev.specserve.drafters;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.GenerationRequest;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.RoundListener;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The correctness oracle: whatever a drafter proposes, greedy output is plain autoregressive output. */
class GreedyEqualsAutoregressiveTest {
    static ModelStack stack;

    static final List<String> PROMPTS = List.of(
            "import os\nimport sys\n\n\ndef main(argv=None):\n    parser = ",
            "    public static int compare(long x, long y) {\n        return ",
            "class Queue:\n    \"\"\"A FIFO queue.\"\"\"\n\n    def __init__(self, maxsize=0):\n        self.maxsize = maxsize\n        self.",
            "for (int i = 0; i < n; i++) {\n");

    @BeforeAll
    static void open() {
        stack = Stack.load();
    }

    @AfterAll
    static void close() {
        stack.close();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ngram", "eagle", "specblock-static", "specblock"})
    void greedyOutputOfEveryStrategyEqualsAutoregressiveDecoding(String strategy) {
        for (String prompt : PROMPTS) {
            int[] ids = stack.tokenizer().encode(prompt);
            DraftBudget budget = new DraftBudget(24, 8);
            GenerationResult reference = stack.decoder().generate(GenerationRequest.greedy(ids, 48, budget),
                    stack.strategy("none", DrafterConfig.defaults()), RoundListener.NONE, () -> false);
            GenerationResult speculative = stack.decoder().generate(GenerationRequest.greedy(ids, 48, budget),
                    stack.strategy(strategy, DrafterConfig.defaults()), RoundListener.NONE, () -> false);

            assertThat(speculative.tokens()).as("%s on %s", strategy, prompt).containsExactly(reference.tokens());
            assertThat(speculative.finishReason()).isEqualTo(reference.finishReason());
            assertThat(speculative.rounds()).isLessThanOrEqualTo(reference.rounds());
        }
    }
}
