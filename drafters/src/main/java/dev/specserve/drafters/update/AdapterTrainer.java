package dev.specserve.drafters.update;

import dev.specserve.drafters.Adapter;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Gradient steps on the drafter's low-rank output adapter, h' = h + B(A h), logits = W h', with the LM head W
 * frozen. Loss: mean cross-entropy toward the target's tokens over samples that passed the valid-prefix
 * mask. Only the output path changes, so recorded hidden states stay valid across adapter versions.
 * Optimiser: Adam. A zero adapter is a saddle (both gradients vanish), so training starts, as in LoRA,
 * from a small random A with B = 0, which leaves the drafter's output unchanged.
 */
public final class AdapterTrainer {
    private final LmHead head;
    private final double learningRate;
    private final double weightDecay;
    private final double labelSmoothing;

    public AdapterTrainer(LmHead head, double learningRate, double weightDecay) {
        this(head, learningRate, weightDecay, 0);
    }

    /**
     * @param labelSmoothing share of the target distribution spread uniformly over the vocabulary. It keeps the
     *                       adapted distribution from turning overconfident on a few hundred samples, which
     *                       matters because the rank head reads that distribution's shape to set branching.
     */
    public AdapterTrainer(LmHead head, double learningRate, double weightDecay, double labelSmoothing) {
        this.head = head;
        this.learningRate = learningRate;
        this.weightDecay = weightDecay;
        this.labelSmoothing = labelSmoothing;
    }

    /** Loss and gradients of one batch, over its samples whose target token is in the draft vocabulary. */
    public record Gradient(double loss, float[] gradA, float[] gradB) {}

    public Gradient gradient(Adapter adapter, List<AdapterSample> batch) {
        int r = adapter.rank();
        int h = adapter.dim();
        float[] a = adapter.a();
        float[] b = adapter.b();
        float[] gA = new float[r * h];
        float[] gB = new float[h * r];
        float[] u = new float[r];
        float[] act = new float[h];
        float[] logits = new float[head.vocab()];
        float[] gAct = new float[h];
        float[] gU = new float[r];
        double loss = 0;
        int used = 0;
        for (AdapterSample s : batch) {
            int label = head.rowOf(s.targetToken());
            if (label < 0) {
                continue; // outside the draft vocabulary: no adapter can make the drafter propose it
            }
            used++;
            float[] x = s.hidden();
            for (int i = 0; i < r; i++) {
                float sum = 0;
                for (int j = 0; j < h; j++) {
                    sum += a[i * h + j] * x[j];
                }
                u[i] = sum;
            }
            for (int j = 0; j < h; j++) {
                float sum = x[j];
                for (int i = 0; i < r; i++) {
                    sum += b[j * r + i] * u[i];
                }
                act[j] = sum;
            }
            head.project(act, logits);
            double max = Double.NEGATIVE_INFINITY;
            for (float l : logits) {
                max = Math.max(max, l);
            }
            double z = 0;
            for (float l : logits) {
                z += Math.exp(l - max);
            }
            double logZ = max + Math.log(z);
            double uniform = labelSmoothing / logits.length;
            double meanLogit = 0;
            for (float l : logits) {
                meanLogit += l;
            }
            meanLogit /= logits.length;
            loss += logZ - (1 - labelSmoothing) * logits[label] - labelSmoothing * meanLogit;
            for (int v = 0; v < logits.length; v++) {
                logits[v] = (float) (Math.exp(logits[v] - logZ) - uniform); // softmax - smoothed target = dL/dlogits
            }
            logits[label] -= (float) (1 - labelSmoothing);
            java.util.Arrays.fill(gAct, 0f);
            head.backProject(logits, gAct);
            for (int i = 0; i < r; i++) {
                float sum = 0;
                for (int j = 0; j < h; j++) {
                    gB[j * r + i] += gAct[j] * u[i];
                    sum += b[j * r + i] * gAct[j];
                }
                gU[i] = sum;
            }
            for (int i = 0; i < r; i++) {
                for (int j = 0; j < h; j++) {
                    gA[i * h + j] += gU[i] * x[j];
                }
            }
        }
        float n = Math.max(1, used);
        for (int i = 0; i < gA.length; i++) {
            gA[i] /= n;
        }
        for (int i = 0; i < gB.length; i++) {
            gB[i] /= n;
        }
        return new Gradient(loss / n, gA, gB);
    }

    public double loss(Adapter adapter, List<AdapterSample> batch) {
        return gradient(adapter, batch).loss();
    }

    /** A LoRA-style starting point: small random A, zero B (the drafter's output is unchanged). */
    public static Adapter initial(int rank, int dim, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] a = new float[rank * dim];
        double scale = 1.0 / Math.sqrt(dim);
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (rng.nextGaussian() * scale);
        }
        return new Adapter(rank, dim, a, new float[dim * rank]);
    }

    /** Runs {@code steps} Adam steps over mini-batches drawn from {@code samples}; returns the new adapter. */
    public Adapter train(Adapter start, List<AdapterSample> samples, int steps, int batchSize, long seed) {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("no training samples");
        }
        boolean zero = isZero(start);
        Adapter cur = zero ? initial(start.rank(), start.dim(), seed) : start;
        float[] a = cur.a().clone();
        float[] b = cur.b().clone();
        Adam adamA = new Adam(a.length);
        Adam adamB = new Adam(b.length);
        SplittableRandom rng = new SplittableRandom(seed);
        for (int step = 1; step <= steps; step++) {
            List<AdapterSample> batch = new java.util.ArrayList<>(batchSize);
            for (int i = 0; i < Math.min(batchSize, samples.size()); i++) {
                batch.add(samples.get(rng.nextInt(samples.size())));
            }
            Gradient g = gradient(new Adapter(cur.rank(), cur.dim(), a, b), batch);
            adamA.step(a, g.gradA(), step, learningRate, weightDecay);
            adamB.step(b, g.gradB(), step, learningRate, weightDecay);
        }
        return new Adapter(cur.rank(), cur.dim(), a, b);
    }

    private static boolean isZero(Adapter adapter) {
        for (float v : adapter.a()) {
            if (v != 0) {
                return false;
            }
        }
        return true;
    }

    private static final class Adam {
        private final float[] m;
        private final float[] v;

        Adam(int n) {
            m = new float[n];
            v = new float[n];
        }

        void step(float[] w, float[] g, int t, double lr, double decay) {
            double b1 = 0.9;
            double b2 = 0.999;
            double c1 = 1 - Math.pow(b1, t);
            double c2 = 1 - Math.pow(b2, t);
            for (int i = 0; i < w.length; i++) {
                m[i] = (float) (b1 * m[i] + (1 - b1) * g[i]);
                v[i] = (float) (b2 * v[i] + (1 - b2) * g[i] * g[i]);
                double update = (m[i] / c1) / (Math.sqrt(v[i] / c2) + 1e-8) + decay * w[i];
                w[i] -= (float) (lr * update);
            }
        }
    }
}
