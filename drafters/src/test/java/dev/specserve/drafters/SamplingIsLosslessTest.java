package dev.specserve.drafters;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.runtime.grammar.OutputGrammar;
import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.GenerationRequest;
import dev.specserve.runtime.spec.RoundListener;
import dev.specserve.runtime.spec.SamplingParams;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.commons.math3.stat.inference.ChiSquareTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * With sampling, speculation must not change the output distribution. Every sampled token is drawn with its
 * position's uniform from the request's seed ({@link dev.specserve.runtime.spec.SamplingNoise}), so the strongest
 * form holds and is what most tests here check: each strategy's sampled output equals plain sampling's with the
 * same seed, token for token, whatever it drafted, with penalties and logit_bias, and across adapter swaps. That
 * the walk over a real tree, and plain sampling, follow the target's distribution is checked against the exact
 * distribution (chi-square below; the acceptance rule itself in TreeVerifierTest).
 */
class SamplingIsLosslessTest {
    static final int SEEDS = 24;
    static final String PROMPT = "def read_config(path):\n    with open(path) as f:\n        ";
    static final String REPETITIVE = "x = [1, 2, 3]\ny = [1, 2, 3]\nz = [1, 2, 3]\nw = [1, 2, 3]\nv = [1,";
    static final SamplingParams WARM = new SamplingParams(0.8, 0.95, 0);
    static ModelStack stack;

    @BeforeAll
    static void open() {
        stack = Stack.load();
    }

    @AfterAll
    static void close() {
        stack.close();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ngram", "suffix", "eagle", "specblock-static", "specblock-fixed", "specblock", "hybrid",
            "auto"})
    void sampledOutputEqualsPlainSamplingWithTheSameSeed(String strategy) {
        // a decoder of its own: the planner's cold start (model forwards bought until the first position has
        // evidence) then happens here, whatever the class's other tests taught a shared planner
        var decoder = new dev.specserve.runtime.spec.SpeculativeDecoder(stack.target(), stack.tokenizer());
        AtomicLong drafted = new AtomicLong();
        Map<Integer, List<Integer>> observed = outputs(decoder, strategy, PROMPT, 32, WARM,
                (round, emitted) -> drafted.addAndGet(round.tree().size()));

        // the fixed strategies draft every round; the planner-driven ones only where a tree pays by their measured
        // costs, which under sampling is rarely and depends on the machine's timings: any tree exercises the walk
        boolean plannerDriven = strategy.equals("specblock") || strategy.equals("auto");
        assertThat(drafted.get()).as("draft nodes verified").isGreaterThanOrEqualTo(plannerDriven ? 1 : SEEDS * 8L);
        assertSameAsPlain(strategy, observed, outputs("none", PROMPT, 32, WARM, RoundListener.NONE));
    }

    @org.junit.jupiter.api.Test
    void samplingStaysExactWhileAdapterVersionsAreSwappedAfterEveryRound() {
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
            Map<Integer, List<Integer>> observed = outputs("specblock-fixed", PROMPT, 16, WARM,
                    (round, emitted) -> versions.activate(perturbed.get(swaps.getAndIncrement() % perturbed.size())));
            assertThat(swaps.get()).as("rounds that swapped").isGreaterThanOrEqualTo(SEEDS);
            assertSameAsPlain("specblock-fixed with per-round swaps", observed,
                    outputs("none", PROMPT, 16, WARM, RoundListener.NONE));
        } finally {
            versions.activate(original);
        }
    }

    /**
     * Hybrid trees deep enough to matter: a repetitive prompt gives the lookup long matches, so rounds verify
     * multi-token suffix chains merged with model nodes.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"suffix", "hybrid", "auto"})
    void hybridTreesStayExactOverSeveralTokensOnARepetitivePrompt(String strategy) {
        SamplingParams params = new SamplingParams(0.6, 1.0, 0);
        AtomicLong lookupNodes = new AtomicLong();
        Map<Integer, List<Integer>> observed = outputs(strategy, REPETITIVE, 24, params,
                (round, emitted) -> lookupNodes.addAndGet(round.drafted(dev.specserve.runtime.spec.DraftTree.SUFFIX)));

        assertThat(lookupNodes.get()).as("lookup nodes verified").isGreaterThan(SEEDS);
        assertSameAsPlain(strategy + " on a repetitive prompt", observed,
                outputs("none", REPETITIVE, 24, params, RoundListener.NONE));
    }

    /**
     * Penalties and logit_bias (vLLM semantics) change the target's distribution row by row, with counts along
     * each tree path; speculation must sample exactly what plain sampling does from the PENALISED distribution.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"specblock-fixed", "suffix", "auto"})
    void samplingWithPenaltiesAndLogitBiasStaysExact(String strategy) {
        SamplingParams plain = new SamplingParams(0.6, 1.0, 0);
        Map<Integer, List<Integer>> unpenalised = outputs("none", REPETITIVE, 12, plain, RoundListener.NONE);
        Map<Integer, Long> firsts = new HashMap<>();
        unpenalised.values().forEach(o -> firsts.merge(o.get(0), 1L, Long::sum));
        int top = firsts.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        SamplingParams params = plain.withPenalties(1.0, 1.5, Map.of(top, -3.0, stack.tokenizer().encode(",")[0], 0.8));
        Map<Integer, List<Integer>> reference = outputs("none", REPETITIVE, 12, params, RoundListener.NONE);
        assertThat(reference).as("the penalties must change plain sampling, or this test proves nothing")
                .isNotEqualTo(unpenalised);
        AtomicLong drafted = new AtomicLong();

        Map<Integer, List<Integer>> observed = outputs(strategy, REPETITIVE, 12, params,
                (round, emitted) -> drafted.addAndGet(round.tree().size()));

        assertThat(drafted.get()).as("draft nodes verified").isGreaterThan(SEEDS);
        assertSameAsPlain(strategy + " with penalties", observed, reference);
    }

    /**
     * vLLM's top-k, min-p and repetition penalty (prompt tokens included) shape the distribution too; speculation
     * must sample exactly what plain sampling samples from the shaped one.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"specblock-fixed", "suffix", "auto"})
    void samplingWithTopKMinPAndRepetitionPenaltyStaysExact(String strategy) {
        SamplingParams plain = new SamplingParams(1.0, 1.0, 0);
        SamplingParams params = plain.withVllmSampling(3, 0.05, 1.4);
        Map<Integer, List<Integer>> reference = outputs("none", REPETITIVE, 12, params, RoundListener.NONE);
        assertThat(reference).as("the settings must change plain sampling, or this test proves nothing")
                .isNotEqualTo(outputs("none", REPETITIVE, 12, plain, RoundListener.NONE));
        AtomicLong drafted = new AtomicLong();

        Map<Integer, List<Integer>> observed = outputs(strategy, REPETITIVE, 12, params,
                (round, emitted) -> drafted.addAndGet(round.tree().size()));

        assertThat(drafted.get()).as("draft nodes verified").isGreaterThan(SEEDS);
        assertSameAsPlain(strategy + " with top-k, min-p and repetition penalty", observed, reference);
    }

    /**
     * vLLM's allowed_token_ids and bad_words mask the target's rows, bad words along each tree path; speculation
     * must sample exactly what plain sampling samples from the masked distribution.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"specblock-fixed", "suffix", "auto"})
    void samplingWithAllowedTokenIdsAndBadWordsStaysExact(String strategy) {
        SamplingParams plain = new SamplingParams(1.0, 1.0, 0);
        Map<Integer, List<Integer>> unrestricted = outputs("none", REPETITIVE, 12, plain, RoundListener.NONE);
        java.util.Set<Integer> allowed = new java.util.TreeSet<>();
        unrestricted.values().forEach(allowed::addAll);
        allowed.remove(unrestricted.get(3000).get(0));
        SamplingParams params = plain.withRestrictions(new dev.specserve.runtime.spec.TokenRestrictions(allowed,
                List.of(stack.tokenizer().decode(unrestricted.get(3001).subList(0, 2).stream().mapToInt(i -> i)
                        .toArray()))));
        Map<Integer, List<Integer>> reference = outputs("none", REPETITIVE, 12, params, RoundListener.NONE);
        assertThat(reference).as("the restrictions must change plain sampling, or this test proves nothing")
                .isNotEqualTo(unrestricted);
        AtomicLong drafted = new AtomicLong();

        Map<Integer, List<Integer>> observed = outputs(strategy, REPETITIVE, 12, params,
                (round, emitted) -> drafted.addAndGet(round.tree().size()));

        assertThat(drafted.get()).as("draft nodes verified").isGreaterThan(SEEDS);
        assertSameAsPlain(strategy + " with allowed_token_ids and bad_words", observed, reference);
    }

    /**
     * vLLM's min_tokens masks EOS and the stop token ids below the minimum, row by row along each tree path (a node's
     * depth adds to the output so far); speculation must sample exactly what plain sampling does with the mask.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"specblock-fixed", "suffix", "auto"})
    void samplingWithMinTokensStaysExact(String strategy) {
        int comma = stack.tokenizer().encode(",")[0];
        SamplingParams stopAtComma = new SamplingParams(1.0, 1.0, 0).withStopping(java.util.Set.of(comma), 0, false);
        SamplingParams params = stopAtComma.withStopping(java.util.Set.of(comma), 8, false);
        Map<Integer, List<Integer>> reference = outputs("none", REPETITIVE, 12, params, RoundListener.NONE);
        assertThat(reference).as("min_tokens must change plain sampling, or this test proves nothing")
                .isNotEqualTo(outputs("none", REPETITIVE, 12, stopAtComma, RoundListener.NONE));
        reference.values().forEach(o -> assertThat(o.subList(0, Math.min(8, o.size()))).doesNotContain(comma));
        AtomicLong drafted = new AtomicLong();

        Map<Integer, List<Integer>> observed = outputs(strategy, REPETITIVE, 12, params,
                (round, emitted) -> drafted.addAndGet(round.tree().size()));

        assertThat(drafted.get()).as("draft nodes verified").isGreaterThan(SEEDS);
        assertSameAsPlain(strategy + " with min_tokens", observed, reference);
    }

    /**
     * Structured output under sampling (JSON mode, a JSON schema): a row's mask follows its own path, so speculation
     * samples what plain sampling does. On a decoder of its own: what its planner learns from masked drafts must not
     * steer the other tests' planning.
     */
    @ParameterizedTest(name = "{0} {1}")
    @org.junit.jupiter.params.provider.CsvSource({"specblock-fixed, json_object", "suffix, json_object",
            "auto, json_object", "specblock-fixed, json_schema", "auto, json_schema"})
    void samplingUnderAGrammarStaysExact(String strategy, String format) {
        var decoder = new dev.specserve.runtime.spec.SpeculativeDecoder(stack.target(), stack.tokenizer());
        SamplingParams plain = new SamplingParams(1.0, 1.0, 0);
        SamplingParams json = plain.withGrammar(format.equals("json_object") ? OutputGrammar.jsonObject()
                : OutputGrammar.jsonSchema(GreedyEqualsAutoregressiveTest.SCHEMA, "response_format"));
        Map<Integer, List<Integer>> reference = outputs(decoder, "none", PROMPT, 16, json, RoundListener.NONE);
        assertThat(reference).as("JSON mode must change plain sampling, or this test proves nothing")
                .isNotEqualTo(outputs(decoder, "none", PROMPT, 16, plain, RoundListener.NONE));
        AtomicLong drafted = new AtomicLong();

        Map<Integer, List<Integer>> observed = outputs(decoder, strategy, PROMPT, 16, json,
                (round, emitted) -> drafted.addAndGet(round.tree().size()));

        assertThat(drafted.get()).as("draft nodes verified").isPositive();
        assertSameAsPlain(strategy + " under " + format, observed, reference);
    }

    /**
     * The reference the equality tests lean on: plain sampling draws the token at position t with the uniform of t.
     * Recomputed here by hand (a forward per token, the inverse CDF at each position's uniform), so an off-by-one
     * that plain and speculative decoding shared would still show.
     */
    @org.junit.jupiter.api.Test
    void plainSamplingDrawsEachPositionWithItsOwnUniform() {
        int[] prompt = stack.tokenizer().encode(PROMPT);
        var drafter = stack.strategy("none", DrafterConfig.expanding());
        for (long seed = 11; seed < 15; seed++) {
            var params = new SamplingParams(1.0, 1.0, seed);
            var noise = new dev.specserve.runtime.spec.SamplingNoise(seed);
            var cache = stack.target().newCache(prompt.length + 8);
            var out = stack.target().forward(prompt, range(prompt.length),
                    dev.specserve.runtime.model.Masks.causal(prompt.length, 0), cache);
            cache.appendAll(out.present(), prompt.length);
            List<Integer> expected = new ArrayList<>();
            int row = prompt.length - 1;
            for (int t = 0; t < 4; t++) {
                int position = prompt.length + t;
                int token = dev.specserve.runtime.spec.TreeVerifier.selectToken(out, row, params, noise, position);
                expected.add(token);
                out = stack.target().forward(new int[] {token}, new int[] {position},
                        dev.specserve.runtime.model.Masks.causal(1, position), cache);
                cache.appendAll(out.present(), 1);
                row = 0;
            }
            var request = new GenerationRequest(prompt, 4, params, List.of(), drafter.defaultBudget(new DraftBudget(24, 8)));
            int[] got = stack.decoder().generate(request, drafter, RoundListener.NONE, () -> false).tokens();

            assertThat(java.util.Arrays.stream(got).boxed().toList()).as("seed %d", seed).isEqualTo(expected);
        }
    }

    /** Tokens per seed (seeds 3000 to 3000 + SEEDS), sampled with {@code params}' temperature, top-p and penalties. */
    static Map<Integer, List<Integer>> outputs(String strategy, String prompt, int tokens, SamplingParams params,
                                               RoundListener listener) {
        return outputs(stack.decoder(), strategy, prompt, tokens, params, listener);
    }

    static Map<Integer, List<Integer>> outputs(dev.specserve.runtime.spec.SpeculativeDecoder decoder, String strategy,
                                               String prompt, int tokens, SamplingParams params,
                                               RoundListener listener) {
        int[] ids = stack.tokenizer().encode(prompt);
        var drafter = stack.strategy(strategy, DrafterConfig.expanding());
        Map<Integer, List<Integer>> out = new java.util.TreeMap<>();
        for (int seed = 3000; seed < 3000 + SEEDS; seed++) {
            var request = new GenerationRequest(ids, tokens, params.withSeed(seed), List.of(),
                    drafter.defaultBudget(new DraftBudget(24, 8)));
            int[] t = decoder.generate(request, drafter, listener, () -> false).tokens();
            out.put(seed, java.util.Arrays.stream(t).boxed().toList());
        }
        return out;
    }

    static void assertSameAsPlain(String what, Map<Integer, List<Integer>> observed, Map<Integer, List<Integer>> plain) {
        for (var e : plain.entrySet()) {
            assertThat(observed.get(e.getKey())).as("%s, seed %d: tokens against plain sampling's", what, e.getKey())
                    .isEqualTo(e.getValue());
        }
    }

    @org.junit.jupiter.api.Test
    void theTreeWalkAndPlainSamplingFollowTheTargetDistributionOverTenThousandDraws() {
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
        long[] plainCounts = new long[vocab];
        var rng = new java.util.SplittableRandom(17);
        for (int i = 0; i < draws; i++) {
            var noise = new dev.specserve.runtime.spec.SamplingNoise(rng.nextLong());
            counts[dev.specserve.runtime.spec.TreeVerifier.verify(tree, verified, params, noise, prompt.length + 1)
                    .newTokens(tree)[0]]++;
            plainCounts[dev.specserve.runtime.spec.TreeVerifier.selectToken(verified, 0, params, noise,
                    prompt.length + 1)]++;
        }
        assertThat(tree.children(dev.specserve.runtime.spec.DraftTree.ROOT)).as("the tree proposes first tokens").isNotEmpty();
        assertFollows(counts, p, sum, "the tree walk's first token");
        assertFollows(plainCounts, p, sum, "plain sampling's token");
        assertThat(counts).as("the same noise picks the same token, drafted or not").isEqualTo(plainCounts);
    }

    /** Chi-square goodness of fit of {@code counts} to {@code weights / sum} (categories expected under 5 pooled). */
    static void assertFollows(long[] counts, double[] weights, double sum, String what) {
        long draws = java.util.Arrays.stream(counts).sum();
        List<Double> expected = new ArrayList<>();
        List<Long> observed = new ArrayList<>();
        double restExpected = 0;
        long restObserved = 0;
        for (int v = 0; v < counts.length; v++) {
            double e = draws * weights[v] / sum;
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
        double pValue = expected.size() < 2 ? 1.0 : new ChiSquareTest().chiSquareTest(
                expected.stream().mapToDouble(Double::doubleValue).toArray(),
                observed.stream().mapToLong(Long::longValue).toArray());
        assertThat(pValue).as("chi-square goodness of fit of %s to the target's distribution", what).isGreaterThan(1e-3);
    }

    static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = i;
        }
        return r;
    }
}
