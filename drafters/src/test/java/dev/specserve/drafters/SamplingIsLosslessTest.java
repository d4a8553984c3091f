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
    @ValueSource(strings = {"ngram", "suffix", "eagle", "specblock-static", "specblock-fixed", "specblock", "hybrid",
            "auto"})
    void sampledContinuationsAreDistributedLikeAutoregressiveSampling(String strategy) {
        assertDistributedLikeAutoregressive(strategy, histogram(strategy));
    }

    @org.junit.jupiter.api.Test
    void samplingStaysLosslessWhileAdapterVersionsAreSwappedAfterEveryRound() {
        DrafterVersions versions = stack.versions();
        DrafterVersion original = versions.current();
        var info = stack.manifest().drafter();
        List<DrafterVersion> perturbed = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            perturbed.add(versions.create(HotSwapTest.perturbedAdapter(info.adapterRank(), info.dim(), i), original.id(),
                    Map.of("test", i)));
        }
        java.util.concurrent.atomic.AtomicInteger swaps = new java.util.concurrent.atomic.AtomicInteger();
        try {
            Map<String, Long> observed = histogram("specblock",
                    (round, emitted) -> versions.activate(perturbed.get(swaps.getAndIncrement() % perturbed.size())));
            assertThat(swaps.get()).as("rounds that swapped").isGreaterThanOrEqualTo(SAMPLES);
            assertDistributedLikeAutoregressive("specblock with per-round swaps", observed);
        } finally {
            versions.activate(original);
        }
    }

    static void assertDistributedLikeAutoregressive(String strategy, Map<String, Long> observed) {
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

    @org.junit.jupiter.api.Test
    void theTreeVerifiersFirstTokenFollowsTheTargetDistributionOverTenThousandDraws() {
        int[] prompt = stack.tokenizer().encode(PROMPT);
        var session = stack.strategy("specblock-static", DrafterConfig.expanding()).newSession();
        var cache = stack.target().newCache(prompt.length + 64);
        var prefill = stack.target().forward(prompt, range(prompt.length),
                dev.specserve.runtime.model.Masks.causal(prompt.length, 0), cache);
        cache.appendAll(prefill.present(), prompt.length);
        int root = prefill.argmax(prompt.length - 1);
        session.start(prompt, prefill.hidden(), root);
        var tree = session.propose(new DraftBudget(24, 8));
        session.close();
        var verified = stack.target().forward(tree.verifyTokens(root), tree.verifyPositions(prompt.length),
                tree.verifyMask(prompt.length), cache);
        double temperature = 1.0;
        var params = new SamplingParams(temperature, 1.0, 0);
        int vocab = verified.vocab();
        double[] p = new double[vocab];
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) {
            max = Math.max(max, verified.logit(0, v));
        }
        double sum = 0;
        for (int v = 0; v < vocab; v++) {
            p[v] = Math.exp((verified.logit(0, v) - max) / temperature);
            sum += p[v];
        }
        int draws = 10_000;
        long[] counts = new long[vocab];
        var rng = new java.util.SplittableRandom(17);
        for (int i = 0; i < draws; i++) {
            counts[dev.specserve.runtime.spec.TreeVerifier.verify(tree, verified, params, rng).newTokens(tree)[0]]++;
        }
        // categories expected >= 5 times; the rest pooled into one
        List<Double> expected = new ArrayList<>();
        List<Long> observed = new ArrayList<>();
        double restExpected = 0;
        long restObserved = 0;
        for (int v = 0; v < vocab; v++) {
            double e = draws * p[v] / sum;
            if (e >= 5) {
                expected.add(e);
                observed.add(counts[v]);
            } else {
                restExpected += e;
                restObserved += counts[v];
            }
        }
        if (restExpected >= 5) {
            expected.add(restExpected);
            observed.add(restObserved);
        }
        assertThat(tree.children(dev.specserve.runtime.spec.DraftTree.ROOT)).as("the tree proposes first tokens").isNotEmpty();
        double pValue = expected.size() < 2 ? 1.0 : new ChiSquareTest().chiSquareTest(
                expected.stream().mapToDouble(Double::doubleValue).toArray(),
                observed.stream().mapToLong(Long::longValue).toArray());
        assertThat(pValue).as("chi-square goodness of fit of the first token to the target's distribution")
                .isGreaterThan(1e-3);
    }

    static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = i;
        }
        return r;
    }

    /** Counts of the first two sampled tokens over SAMPLES seeds. */
    /**
     * Hybrid trees deep enough to matter: a repetitive prompt gives the lookup long matches, so rounds verify
     * multi-token suffix chains merged with model nodes. The first four sampled tokens are compared jointly.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"suffix", "hybrid", "auto"})
    void hybridTreesStayLosslessOverSeveralTokensOnARepetitivePrompt(String strategy) {
        String prompt = "x = [1, 2, 3]\ny = [1, 2, 3]\nz = [1, 2, 3]\nw = [1, 2, 3]\nv = [1,";
        SamplingParams params = new SamplingParams(0.6, 1.0, 0);
        if (repetitiveReference == null) {
            repetitiveReference = histogram("none", prompt, 4, params, RoundListener.NONE);
        }
        java.util.concurrent.atomic.AtomicLong lookupNodes = new java.util.concurrent.atomic.AtomicLong();
        Map<String, Long> observed = histogram(strategy, prompt, 4, params,
                (round, emitted) -> lookupNodes.addAndGet(round.drafted(dev.specserve.runtime.spec.DraftTree.SUFFIX)));

        assertThat(lookupNodes.get()).as("lookup nodes verified").isGreaterThan(SAMPLES);
        Map<String, Long> saved = reference;
        reference = repetitiveReference;
        try {
            assertDistributedLikeAutoregressive(strategy + " over four tokens", observed);
        } finally {
            reference = saved;
        }
    }

    static Map<String, Long> repetitiveReference;

    /**
     * Penalties and logit_bias (vLLM semantics) change the target's distribution row by row, with counts along
     * each tree path; speculation must stay lossless against the PENALISED distribution. The first three tokens
     * on a repetitive prompt (where lookup drafts repeat, so the penalties bite) are compared jointly.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"specblock-fixed", "suffix", "auto"})
    void samplingWithPenaltiesAndLogitBiasStaysLossless(String strategy) {
        String prompt = "x = [1, 2, 3]\ny = [1, 2, 3]\nz = [1, 2, 3]\nw = [1, 2, 3]\nv = [1,";
        if (penalisedReference == null) {
            SamplingParams plain = new SamplingParams(0.6, 1.0, 0);
            Map<String, Long> unpenalised = histogram("none", prompt, 3, plain, RoundListener.NONE);
            int top = firstTokenCounts(unpenalised).entrySet().stream().max(Map.Entry.comparingByValue())
                    .orElseThrow().getKey();
            penalisedParams = plain.withPenalties(1.0, 1.5, Map.of(top, -3.0, stack.tokenizer().encode(",")[0], 0.8));
            penalisedReference = histogram("none", prompt, 3, penalisedParams, RoundListener.NONE);
            assertThat(firstTokenCounts(unpenalised).get(top) - firstTokenCounts(penalisedReference).getOrDefault(top, 0L))
                    .as("logit_bias must make the likeliest first token %d rarer, or this test proves nothing", top)
                    .isGreaterThan(SAMPLES / 10);
        }
        SamplingParams params = penalisedParams;
        java.util.concurrent.atomic.AtomicLong drafted = new java.util.concurrent.atomic.AtomicLong();
        Map<String, Long> observed = histogram(strategy, prompt, 3, params,
                (round, emitted) -> drafted.addAndGet(round.tree().size()));

        assertThat(drafted.get()).as("draft nodes verified").isGreaterThan(SAMPLES);
        Map<String, Long> saved = reference;
        reference = penalisedReference;
        try {
            assertDistributedLikeAutoregressive(strategy + " with penalties over three tokens", observed);
        } finally {
            reference = saved;
        }
    }

    static Map<String, Long> penalisedReference;
    static SamplingParams penalisedParams;

    /** Counts by first token of a histogram keyed by {@code Arrays.toString(tokens)}. */
    static Map<Integer, Long> firstTokenCounts(Map<String, Long> histogram) {
        Map<Integer, Long> counts = new HashMap<>();
        histogram.forEach((k, v) -> {
            String inner = k.substring(1, k.length() - 1);
            int comma = inner.indexOf(',');
            counts.merge(Integer.parseInt((comma < 0 ? inner : inner.substring(0, comma)).trim()), v, Long::sum);
        });
        return counts;
    }

    static Map<String, Long> histogram(String strategy, String prompt, int tokens, SamplingParams params,
                                       RoundListener listener) {
        int[] ids = stack.tokenizer().encode(prompt);
        var drafter = stack.strategy(strategy, DrafterConfig.expanding());
        Map<String, Long> counts = new HashMap<>();
        for (int seed = 0; seed < SAMPLES; seed++) {
            var request = new GenerationRequest(ids, tokens, new SamplingParams(params.temperature(), params.topP(),
                    2000 + seed).withPenalties(params.presencePenalty(), params.frequencyPenalty(), params.logitBias()),
                    List.of(), drafter.defaultBudget(new DraftBudget(24, 8)));
            int[] out = stack.decoder().generate(request, drafter, listener, () -> false).tokens();
            counts.merge(java.util.Arrays.toString(out), 1L, Long::sum);
        }
        return counts;
    }

    static Map<String, Long> histogram(String strategy) {
        return histogram(strategy, RoundListener.NONE);
    }

    static Map<String, Long> histogram(String strategy, RoundListener listener) {
        int[] ids = stack.tokenizer().encode(PROMPT);
        var drafter = stack.strategy(strategy, DrafterConfig.expanding());
        Map<String, Long> counts = new HashMap<>();
        for (int seed = 0; seed < SAMPLES; seed++) {
            var request = new GenerationRequest(ids, 2, new SamplingParams(1.0, 1.0, 1000 + seed), List.of(),
                    new DraftBudget(24, 8));
            int[] out = stack.decoder().generate(request, drafter, listener, () -> false).tokens();
            counts.merge(out[0] + ":" + (out.length > 1 ? out[1] : -1), 1L, Long::sum);
        }
        return counts;
    }
}
