package dev.specserve.drafters;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.GenerationRequest;
import dev.specserve.runtime.spec.RoundListener;
import dev.specserve.runtime.spec.SamplingParams;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.math3.stat.inference.ChiSquareTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * With sampling, speculation must not change the output distribution. The first tokens sampled through
 * each strategy's trees are compared with plain autoregressive sampling by a chi-square two-sample test.
 * (The exact-distribution check of the acceptance rule itself is TreeVerifierTest.)
 */
class SamplingIsLosslessTest {
    static final int SAMPLES = 300;
    static final String PROMPT = "def read_config(path):\n    with open(path) as f:\n        ";
    static ModelStack stack;
    static Map<String, Long> reference;

    @BeforeAll
    static void open() {
        stack = Stack.load();
        reference = histogram("none");
    }

    @AfterAll
    static void close() {
        stack.close();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ngram", "eagle", "specblock-static", "specblock"})
    void sampledContinuationsAreDistributedLikeAutoregressiveSampling(String strategy) {
        Map<String, Long> observed = histogram(strategy);

        List<String> categories = new ArrayList<>();
        reference.forEach((k, v) -> {
            if (v >= 8) {
                categories.add(k);
            }
        });
        long[] a = new long[categories.size() + 1];
        long[] b = new long[categories.size() + 1];
        for (int i = 0; i < categories.size(); i++) {
            a[i] = reference.get(categories.get(i));
            b[i] = observed.getOrDefault(categories.get(i), 0L);
        }
        a[categories.size()] = SAMPLES - java.util.Arrays.stream(a).sum();
        b[categories.size()] = SAMPLES - java.util.Arrays.stream(b).sum();
        if (a[categories.size()] == 0 && b[categories.size()] == 0) {
            a = java.util.Arrays.copyOf(a, categories.size());
            b = java.util.Arrays.copyOf(b, categories.size());
        }
        double p = a.length < 2 ? 1.0 : new ChiSquareTest().chiSquareTestDataSetsComparison(a, b);

        assertThat(p).as("chi-square p-value of %s vs autoregressive sampling", strategy).isGreaterThan(1e-3);
    }

    /** Counts of the first two sampled tokens over SAMPLES seeds. */
    static Map<String, Long> histogram(String strategy) {
        int[] ids = stack.tokenizer().encode(PROMPT);
        var drafter = stack.strategy(strategy, DrafterConfig.defaults());
        Map<String, Long> counts = new HashMap<>();
        for (int seed = 0; seed < SAMPLES; seed++) {
            var request = new GenerationRequest(ids, 2, new SamplingParams(1.0, 1.0, 1000 + seed), List.of(),
                    new DraftBudget(24, 8));
            int[] out = stack.decoder().generate(request, drafter, RoundListener.NONE, () -> false).tokens();
            counts.merge(out[0] + ":" + (out.length > 1 ? out[1] : -1), 1L, Long::sum);
        }
        return counts;
    }
}
