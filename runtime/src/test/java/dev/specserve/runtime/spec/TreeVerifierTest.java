package dev.specserve.runtime.spec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.runtime.model.TargetOutput;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TreeVerifierTest {
    private static final int VOCAB = 5;

    /** root -> {1 -> {3}, 2}; target rows: root, node "1", node "3", node "2". */
    private static DraftTree tree() {
        DraftTree t = new DraftTree();
        int one = t.add(DraftTree.ROOT, 1, -0.2f, -1);
        t.add(one, 3, -0.9f, -1);
        t.add(DraftTree.ROOT, 2, -0.5f, -1);
        return t;
    }

    private static TargetOutput output(float[][] rows) {
        float[] logits = new float[rows.length * VOCAB];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(rows[r], 0, logits, r * VOCAB, VOCAB);
        }
        return new TargetOutput(rows.length, VOCAB, 1, logits, new float[rows.length], new FloatBuffer[0], 0);
    }

    private static final float[][] LOGITS = {
        {0.5f, 1.0f, 0.2f, -0.3f, 0.9f},   // root
        {1.2f, -1f, 0.3f, 0.8f, 0.0f},     // after "1"
        {0f, 0f, 0f, 0f, 0f},              // after "1 3"
        {0.1f, 0.4f, -0.2f, 0.6f, 0.3f},   // after "2"
    };

    @Test
    void greedyFollowsTheTargetsArgmaxAndAddsItsNextToken() {
        float[][] rows = {
            {0f, 9f, 0f, 0f, 0f},   // root: target wants 1
            {0f, 0f, 0f, 9f, 0f},   // after 1: wants 3
            {0f, 0f, 0f, 0f, 9f},   // after 1 3: wants 4 (bonus)
            {9f, 0f, 0f, 0f, 0f},
        };
        DraftTree t = tree();
        Acceptance a = TreeVerifier.verify(t, output(rows), SamplingParams.GREEDY, new SamplingNoise(1), 1);

        assertThat(a.newTokens(t)).containsExactly(1, 3, 4);
        assertThat(a.keptRows()).containsExactly(0, 1, 2);
    }

    @Test
    void greedyStopsAtTheFirstDisagreement() {
        float[][] rows = {
            {0f, 0f, 0f, 0f, 9f},   // root: target wants 4, which no child has
            {0f, 0f, 0f, 9f, 0f}, {0f, 0f, 0f, 0f, 9f}, {9f, 0f, 0f, 0f, 0f},
        };
        DraftTree t = tree();
        Acceptance a = TreeVerifier.verify(t, output(rows), SamplingParams.GREEDY, new SamplingNoise(1), 1);

        assertThat(a.newTokens(t)).containsExactly(4);
        assertThat(a.acceptedNodes()).isEmpty();
    }

    @Test
    void sampledTokensFollowTheTargetDistributionExactlyWhateverTheTreeProposes() {
        SamplingParams params = new SamplingParams(0.8, 1.0, 0);
        DraftTree t = tree();
        TargetOutput out = output(LOGITS);
        SplittableRandom rng = new SplittableRandom(42);
        int n = 200_000;
        long[] first = new long[VOCAB];
        long[] secondAfterOne = new long[VOCAB];
        for (int i = 0; i < n; i++) {
            int[] tokens = TreeVerifier.verify(t, out, params, new SamplingNoise(rng.nextLong()), 1).newTokens(t);
            first[tokens[0]]++;
            if (tokens[0] == 1) {
                secondAfterOne[tokens[1]]++;
            }
        }
        assertMatches(first, softmax(LOGITS[0], 0.8), "first token");
        assertMatches(secondAfterOne, softmax(LOGITS[1], 0.8), "second token after 1");
    }

    @Test
    void topPRemovesTheTailBeforeSampling() {
        SamplingParams params = new SamplingParams(1.0, 0.5, 0);
        DraftTree t = tree();
        TargetOutput out = output(new float[][] {{0f, 3f, 0f, 0f, 2.9f}, LOGITS[1], LOGITS[2], LOGITS[3]});
        SplittableRandom rng = new SplittableRandom(7);
        long[] first = new long[VOCAB];
        for (int i = 0; i < 20_000; i++) {
            first[TreeVerifier.verify(t, out, params, new SamplingNoise(rng.nextLong()), 1).newTokens(t)[0]]++;
        }
        assertThat(first[0] + first[2] + first[3]).as("tokens outside the top-p nucleus").isZero();
    }

    private static double[] softmax(float[] logits, double temperature) {
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp(logits[i] / temperature);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    private static void assertMatches(long[] counts, double[] p, String what) {
        long total = 0;
        for (long c : counts) {
            total += c;
        }
        for (int v = 0; v < p.length; v++) {
            double expected = p[v] * total;
            double sigma = Math.sqrt(total * p[v] * (1 - p[v]));
            assertThat(Math.abs(counts[v] - expected)).as("%s: count of token %d vs %.0f expected", what, v, expected)
                    .isLessThan(5 * sigma + 1);
        }
    }

    @Test
    void aVanishingTemperatureDecodesGreedilyInsteadOfOverflowing() {
        TargetOutput out = output(LOGITS);
        for (double t : new double[] {0, 4.9e-324, 1e-310, 9.9e-6}) {
            SamplingParams params = new SamplingParams(t, 1.0, 7);
            assertThat(params.greedy()).as("temperature %s", t).isTrue();
            assertThat(TreeVerifier.selectToken(out, 0, params, new SamplingNoise(7), 1)).isEqualTo(out.argmax(0));
            LogitsProcessor processor = new LogitsProcessor(params, VOCAB);
            double[] logprobs = processor.logSoftmax(processor.process(out, 0, new int[0], 0));
            assertThat(java.util.Arrays.stream(logprobs).allMatch(Double::isFinite)).as("logprobs at temperature %s", t).isTrue();
        }
        assertThat(new SamplingParams(1e-5, 1.0, 7).greedy()).isFalse();
    }
}
