package dev.specserve.runtime.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Temperature, then min-p, top-k and top-p, as vLLM shapes the distribution it samples from. */
class TokenDistributionTest {
    /** Logits whose softmax at temperature 1 is proportional to 8, 4, 2, 1, 1. */
    static final double[] LOGITS = {Math.log(8), Math.log(4), Math.log(2), 0, 0};

    static double[] probabilities(SamplingParams params) {
        TokenDistribution d = TokenDistribution.of(LOGITS.clone(), params);
        double[] p = new double[LOGITS.length];
        for (int t = 0; t < p.length; t++) {
            p[t] = d.probability(t);
        }
        return p;
    }

    static SamplingParams plain() {
        return new SamplingParams(1.0, 1.0, 0);
    }

    @Test
    void topKKeepsTheKMostLikelyTokensRenormalised() {
        assertThat(probabilities(plain().withVllmSampling(2, 0, 1)))
                .containsExactly(new double[] {8 / 12.0, 4 / 12.0, 0, 0, 0}, within(1e-12));
    }

    @Test
    void topKKeepsEveryTokenTiedWithTheKth() {
        assertThat(probabilities(plain().withVllmSampling(4, 0, 1)))
                .containsExactly(new double[] {8 / 16.0, 4 / 16.0, 2 / 16.0, 1 / 16.0, 1 / 16.0}, within(1e-12));
    }

    @Test
    void minPDropsTokensLessLikelyThanItsShareOfTheTopOne() {
        // 0.25 x p(top) = 2/16: tokens at 2/16 stay, those at 1/16 go
        assertThat(probabilities(plain().withVllmSampling(0, 0.25, 1)))
                .containsExactly(new double[] {8 / 14.0, 4 / 14.0, 2 / 14.0, 0, 0}, within(1e-12));
    }

    @Test
    void topPAppliesAfterTopKToTheRenormalisedSurvivors() {
        // top-k 3 leaves 8/14, 4/14, 2/14; top-p 0.8 then keeps the first two (8/14 < 0.8 <= 12/14)
        SamplingParams p = new SamplingParams(1.0, 0.8, 0).withVllmSampling(3, 0, 1);
        assertThat(probabilities(p)).containsExactly(new double[] {8 / 12.0, 4 / 12.0, 0, 0, 0}, within(1e-12));
    }

    @Test
    void topPKeepsTokensOfEqualProbabilityAtTheBoundaryInIdOrder() {
        double[] logits = {Math.log(2), 0, 0, 0}; // 0.4, 0.2, 0.2, 0.2: 0.4 + 0.2 + 0.2 first reaches 0.7
        TokenDistribution d = TokenDistribution.of(logits, new SamplingParams(1.0, 0.7, 0));

        assertThat(new double[] {d.probability(0), d.probability(1), d.probability(2), d.probability(3)})
                .containsExactly(new double[] {0.5, 0.25, 0.25, 0}, within(1e-12));
    }

    /** The truncations against the definition: sort every token, most likely (then lowest id) first, and cut. */
    @Test
    void truncationEqualsSortingTheWholeVocabulary() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        for (int trial = 0; trial < 300; trial++) {
            double[] logits = new double[2048];
            double spread = 1 + r.nextDouble() * 12;
            for (int v = 0; v < logits.length; v++) {
                logits[v] = r.nextGaussian() * spread;
            }
            SamplingParams params = new SamplingParams(0.3 + r.nextDouble(), r.nextBoolean() ? 1 : 0.5 + r.nextDouble() / 2,
                    0).withVllmSampling(r.nextBoolean() ? 0 : 1 + r.nextInt(100), r.nextBoolean() ? 0 : r.nextDouble() / 5, 1);
            TokenDistribution d = TokenDistribution.of(logits.clone(), params);
            double[] expected = byFullSort(logits, params);
            for (int v = 0; v < logits.length; v++) {
                assertThat(d.probability(v)).as("trial %d, token %d", trial, v).isCloseTo(expected[v], within(1e-9));
            }
        }
    }

    /**
     * A top-p set exactly where the top tokens' mass, summed in id order, lands: the crossing is decided by the
     * sum from the most likely down, whatever a sum in another order rounds to.
     */
    @Test
    void theTopPCrossingIsDecidedSummingFromTheMostLikelyDown() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(9);
        for (int trial = 0; trial < 2000; trial++) {
            int n = 3 + r.nextInt(8);
            double[] logits = new double[n];
            for (int v = 0; v < n; v++) {
                logits[v] = r.nextGaussian() * 2;
            }
            double[] p = byFullSort(logits, new SamplingParams(1.0, 1.0, 0));
            Integer[] order = new Integer[n];
            for (int v = 0; v < n; v++) {
                order[v] = v;
            }
            java.util.Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
            java.util.Set<Integer> top = new java.util.HashSet<>(java.util.Arrays.asList(order).subList(0, 1 + r.nextInt(n - 1)));
            double idOrderMass = 0;
            for (int v = 0; v < n; v++) {
                idOrderMass += top.contains(v) ? p[v] : 0;
            }
            SamplingParams params = new SamplingParams(1.0, Math.min(1, idOrderMass), 0);
            TokenDistribution d = TokenDistribution.of(logits.clone(), params);
            double[] expected = byFullSort(logits, params);
            for (int v = 0; v < n; v++) {
                assertThat(d.probability(v)).as("trial %d, token %d", trial, v).isCloseTo(expected[v], within(1e-12));
            }
        }
    }

    private static double[] byFullSort(double[] logits, SamplingParams params) {
        int n = logits.length;
        double max = java.util.Arrays.stream(logits).max().orElseThrow();
        double[] p = new double[n];
        double sum = 0;
        for (int v = 0; v < n; v++) {
            p[v] = Math.exp((logits[v] - max) / params.temperature());
            sum += p[v];
        }
        Integer[] order = new Integer[n];
        for (int v = 0; v < n; v++) {
            p[v] /= sum;
            order[v] = v;
        }
        java.util.Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a])); // stable: lower id first on ties
        double top = p[order[0]];
        boolean[] keep = new boolean[n];
        for (int i = 0; i < n; i++) {
            int v = order[i];
            keep[v] = p[v] >= params.minP() * top && (params.topK() == 0 || i < params.topK()
                    || p[v] == p[order[params.topK() - 1]]);
        }
        if (params.minP() > 0 || (params.topK() > 0 && params.topK() < n)) { // survivors renormalised, in id order
            double kept = 0;
            for (int v = 0; v < n; v++) {
                kept += keep[v] ? p[v] : 0;
            }
            for (int v = 0; v < n; v++) {
                p[v] = keep[v] ? p[v] / kept : 0;
            }
        }
        double cum = 0;
        for (int i = 0; i < n; i++) { // top-p: keep while the mass before, from the most likely down, is short of it
            int v = order[i];
            if (keep[v]) {
                keep[v] = params.topP() >= 1 || cum < params.topP();
                cum += keep[v] ? p[v] : 0;
            }
        }
        double[] out = new double[n];
        for (int v = 0; v < n; v++) {
            out[v] = keep[v] ? p[v] / cum : 0;
        }
        return out;
    }

    @Test
    void minPIsMeasuredAfterTemperature() {
        // at temperature 0.5 the shares square: 64, 16, 4, 1, 1 (of 86); 0.2 x 64 = 12.8 keeps two tokens
        SamplingParams p = new SamplingParams(0.5, 1.0, 0).withVllmSampling(0, 0.2, 1);
        assertThat(probabilities(p)).containsExactly(new double[] {64 / 80.0, 16 / 80.0, 0, 0, 0}, within(1e-12));
    }

    @Test
    void theRepetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOfSeenTokensOnce() {
        SamplingParams p = SamplingParams.GREEDY.withVllmSampling(0, 0, 2.0);
        LogitsProcessor processor = new LogitsProcessor(p, 4, new int[] {0, 0, 1}, new int[0], null, new int[0][]);
        processor.add(2);
        processor.add(2);

        double[] l = processor.process(new float[] {4, -1, 3, 1}, 0, new int[] {3, 3}, 2);

        assertThat(l).containsExactly(new double[] {2, -2, 1.5, 0.5}, within(1e-12));
    }

    @Test
    void outOfRangeValuesNameTheirField() {
        assertThatThrownBy(() -> plain().withVllmSampling(-2, 0, 1)).hasMessageContaining("top_k");
        assertThatThrownBy(() -> plain().withVllmSampling(0, 1.5, 1)).hasMessageContaining("min_p");
        assertThatThrownBy(() -> plain().withVllmSampling(0, 0, 0)).hasMessageContaining("repetition_penalty");
        assertThat(plain().withVllmSampling(-1, 0, 1).topK()).as("-1 means every token, as 0").isZero();
        assertThat(plain().withVllmSampling(0, 0, 1).withPenalties(0, 0, Map.of()).processesLogits()).isFalse();
    }
}
