package dev.specserve.drafters.update;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.drafters.Adapter;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AdapterTrainerTest {
    static final int VOCAB = 40;
    static final int DIM = 12;
    static final int RANK = 3;

    static LmHead randomHead(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] w = new float[VOCAB * DIM];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rng.nextGaussian();
        }
        return new LmHead(VOCAB, DIM, w);
    }

    static List<AdapterSample> samples(int n, long seed, java.util.function.Function<float[], Integer> label) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<AdapterSample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[] h = new float[DIM];
            for (int j = 0; j < DIM; j++) {
                h[j] = (float) rng.nextGaussian();
            }
            out.add(new AdapterSample(h, label.apply(h)));
        }
        return out;
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "label smoothing {0}, anchor {1}")
    @org.junit.jupiter.params.provider.CsvSource({"0, 0", "0.3, 0", "0, 0.6", "0.1, 0.6"})
    void gradientsMatchFiniteDifferences(double labelSmoothing, double anchor) {
        LmHead head = randomHead(1);
        AdapterTrainer trainer = new AdapterTrainer(head, 1e-2, 0, new AdapterObjective(labelSmoothing, anchor), 1);
        Adapter base = AdapterTrainer.initial(RANK, DIM, 3);
        float[] b = base.b().clone();
        SplittableRandom rng = new SplittableRandom(4);
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) (rng.nextGaussian() * 0.3);
        }
        Adapter adapter = new Adapter(RANK, DIM, base.a(), b);
        List<AdapterSample> batch = samples(6, 5, h -> (int) (Math.abs(h[0] * 1000)) % VOCAB);
        AdapterTrainer.Gradient g = trainer.gradient(adapter, batch);
        double eps = 1e-2;
        for (int idx : new int[] {0, 7, 20, RANK * DIM - 1}) {
            double numeric = (lossWithA(trainer, adapter, batch, idx, eps) - lossWithA(trainer, adapter, batch, idx, -eps))
                    / (2 * eps);
            assertThat(g.gradA()[idx]).as("dL/dA[%d]", idx).isCloseTo((float) numeric, org.assertj.core.data.Offset.offset(
                    (float) (2e-2 * Math.max(1e-2, Math.abs(numeric)))));
        }
        for (int idx : new int[] {0, 5, 17, DIM * RANK - 1}) {
            double numeric = (lossWithB(trainer, adapter, batch, idx, eps) - lossWithB(trainer, adapter, batch, idx, -eps))
                    / (2 * eps);
            assertThat(g.gradB()[idx]).as("dL/dB[%d]", idx).isCloseTo((float) numeric, org.assertj.core.data.Offset.offset(
                    (float) (2e-2 * Math.max(1e-2, Math.abs(numeric)))));
        }
    }

    @Test
    void aGradientShardedOverThreadsEqualsTheSequentialOneAndTrainsToTheSameAdapter() {
        LmHead head = randomHead(5);
        Adapter start = AdapterTrainer.initial(RANK, DIM, 8);
        List<AdapterSample> batch = samples(64, 9, h -> (int) (Math.abs(h[1] * 1000)) % VOCAB);
        AdapterTrainer one = new AdapterTrainer(head, 1e-2, 0, new AdapterObjective(0.1, 0.6), 1);
        AdapterTrainer three = new AdapterTrainer(head, 1e-2, 0, new AdapterObjective(0.1, 0.6), 3);

        AdapterTrainer.Gradient g1 = one.gradient(start, batch);
        AdapterTrainer.Gradient g3 = three.gradient(start, batch);

        assertThat(g3.loss()).isCloseTo(g1.loss(), org.assertj.core.data.Offset.offset(1e-6));
        assertThat(g3.gradA()).containsExactly(g1.gradA(), org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(g3.gradB()).containsExactly(g1.gradB(), org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(three.gradient(start, batch).gradA()).as("same thread count, same sums").containsExactly(g3.gradA());
        Adapter a1 = one.train(start, batch, 20, 32, 3);
        Adapter a3 = three.train(start, batch, 20, 32, 3);
        assertThat(a3.b()).containsExactly(a1.b(), org.assertj.core.data.Offset.offset(1e-4f));
    }

    private static double lossWithA(AdapterTrainer t, Adapter ad, List<AdapterSample> batch, int idx, double d) {
        float[] a = ad.a().clone();
        a[idx] += (float) d;
        return t.loss(new Adapter(RANK, DIM, a, ad.b()), batch);
    }

    private static double lossWithB(AdapterTrainer t, Adapter ad, List<AdapterSample> batch, int idx, double d) {
        float[] b = ad.b().clone();
        b[idx] += (float) d;
        return t.loss(new Adapter(RANK, DIM, ad.a(), b), batch);
    }

    /** The target's tokens come from a rank-3 shift of the drafter's hidden state: learnable by the adapter. */
    static java.util.function.Function<float[], Integer> shiftedLabels(LmHead head) {
        Adapter truth = new Adapter(RANK, DIM, AdapterTrainer.initial(RANK, DIM, 99).a(),
                scaled(AdapterTrainer.initial(RANK, DIM, 98).a(), 3f));
        return h -> argmax(logits(head, apply(truth, h)));
    }

    @Test
    void trainingOnVerifierLabelsRaisesHeldOutAgreementAndShadowEvaluationAcceptsIt() {
        LmHead head = randomHead(11);
        List<AdapterSample> train = samples(600, 21, shiftedLabels(head));
        List<AdapterSample> heldOut = samples(200, 22, shiftedLabels(head));
        AdapterTrainer trainer = new AdapterTrainer(head, 3e-2, 0);
        ShadowEvaluator shadow = new ShadowEvaluator(head);
        Adapter zero = Adapter.zero(RANK, DIM);

        Adapter trained = trainer.train(zero, train, 300, 32, 7);
        ShadowEvaluator.Verdict verdict = shadow.compare(zero, trained, heldOut, 0.01);

        assertThat(verdict.current().agreement()).isLessThan(0.6);
        assertThat(verdict.candidate().agreement()).isGreaterThan(verdict.current().agreement() + 0.2);
        assertThat(verdict.accept()).isTrue();
    }

    /**
     * The anchor pulls toward the unadapted drafter's distribution: an anchored update still learns what its labels
     * teach, and moves the distribution as a whole less far from where the drafter's training put it.
     */
    @Test
    void anAnchoredUpdateLearnsTheLabelsAndStaysCloserToTheUnadaptedDistribution() {
        LmHead head = randomHead(11);
        List<AdapterSample> train = samples(600, 21, shiftedLabels(head));
        List<AdapterSample> heldOut = samples(200, 22, shiftedLabels(head));
        ShadowEvaluator shadow = new ShadowEvaluator(head);
        Adapter zero = Adapter.zero(RANK, DIM);

        Adapter free = new AdapterTrainer(head, 3e-2, 0).train(zero, train, 300, 32, 7);
        Adapter anchored = new AdapterTrainer(head, 3e-2, 0, new AdapterObjective(0, 0.6), 1)
                .train(zero, train, 300, 32, 7);

        double before = shadow.score(zero, heldOut).agreement();
        assertThat(shadow.score(anchored, heldOut).agreement()).as("anchored agreement")
                .isGreaterThan(before + 0.15);
        assertThat(meanKlFromUnadapted(head, anchored, heldOut)).as("anchored KL from the unadapted distribution")
                .isLessThan(0.5 * meanKlFromUnadapted(head, free, heldOut));
    }

    @Test
    void anObjectiveMustLeaveWeightOnTheLabel() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new AdapterObjective(0.5, 0.5))
                .hasMessageContaining("sum below 1");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new AdapterObjective(-0.1, 0))
                .hasMessageContaining("-0.1");
    }

    static double meanKlFromUnadapted(LmHead head, Adapter adapter, List<AdapterSample> samples) {
        double total = 0;
        for (AdapterSample s : samples) {
            double[] p = softmax(logits(head, s.hidden()));
            double[] q = softmax(logits(head, apply(adapter, s.hidden())));
            for (int v = 0; v < p.length; v++) {
                total += p[v] * Math.log(p[v] / q[v]);
            }
        }
        return total / samples.size();
    }

    static float[] logits(LmHead head, float[] h) {
        float[] out = new float[VOCAB];
        head.project(h, out);
        return out;
    }

    static int argmax(float[] x) {
        int best = 0;
        for (int v = 1; v < x.length; v++) {
            if (x[v] > x[best]) {
                best = v;
            }
        }
        return best;
    }

    static double[] softmax(float[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : z) {
            max = Math.max(max, v);
        }
        double[] p = new double[z.length];
        double sum = 0;
        for (int v = 0; v < z.length; v++) {
            p[v] = Math.exp(z[v] - max);
            sum += p[v];
        }
        for (int v = 0; v < z.length; v++) {
            p[v] /= sum;
        }
        return p;
    }

    static float[] scaled(float[] v, float k) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i] * k;
        }
        return out;
    }

    static float[] apply(Adapter ad, float[] h) {
        float[] u = new float[RANK];
        for (int i = 0; i < RANK; i++) {
            for (int j = 0; j < DIM; j++) {
                u[i] += ad.a()[i * DIM + j] * h[j];
            }
        }
        float[] out = h.clone();
        for (int j = 0; j < DIM; j++) {
            for (int i = 0; i < RANK; i++) {
                out[j] += ad.b()[j * RANK + i] * u[i];
            }
        }
        return out;
    }

    @Test
    void shadowEvaluationRejectsAMalformedOrWorseCandidate() {
        LmHead head = randomHead(2);
        ShadowEvaluator shadow = new ShadowEvaluator(head);
        List<AdapterSample> heldOut = samples(50, 3, h -> 1);
        Adapter zero = Adapter.zero(RANK, DIM);

        assertThat(shadow.compare(zero, Adapter.zero(RANK + 1, DIM), heldOut, 0).reason()).contains("shape mismatch");
        assertThat(shadow.compare(zero, zero, heldOut, 0.01).accept()).isFalse();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new Adapter(RANK, DIM,
                new float[] {Float.NaN, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                    0, 0, 0, 0, 0, 0, 0, 0}, new float[DIM * RANK]))
                .hasMessageContaining("non-finite");
    }

    @Test
    void halfPrecisionValuesDecodeExactly() {
        assertThat(LmHead.halfToFloat((short) 0x3c00)).isEqualTo(1.0f);
        assertThat(LmHead.halfToFloat((short) 0xc000)).isEqualTo(-2.0f);
        assertThat(LmHead.halfToFloat((short) 0x3555)).isCloseTo(0.33325f, org.assertj.core.data.Offset.offset(1e-5f));
        assertThat(LmHead.halfToFloat((short) 0x0001)).isEqualTo(0x1p-24f);
        assertThat(LmHead.halfToFloat((short) 0x7c00)).isEqualTo(Float.POSITIVE_INFINITY);
    }
}
