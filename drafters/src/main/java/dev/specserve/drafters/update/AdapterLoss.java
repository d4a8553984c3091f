package dev.specserve.drafters.update;

import dev.specserve.drafters.Adapter;
import java.util.List;

/**
 * Forward and backward of the adapter's loss: logits = W (h + B(A h)) with W frozen, cross-entropy toward the
 * {@link AdapterObjective}'s mixture (target token, uniform, unadapted distribution W h), summed over the samples
 * whose token the draft vocabulary covers.
 */
final class AdapterLoss {
    private final LmHead head;
    private final AdapterObjective objective;

    AdapterLoss(LmHead head, AdapterObjective objective) {
        this.head = head;
        this.objective = objective;
    }

    /** Sums over a run of samples (one shard of a batch): loss, samples used, and the gradients of A and B. */
    record Sums(double loss, int used, float[] gA, float[] gB) {
        /** This plus {@code o}, added into this one's arrays. */
        Sums plus(Sums o) {
            for (int i = 0; i < gA.length; i++) {
                gA[i] += o.gA[i];
            }
            for (int i = 0; i < gB.length; i++) {
                gB[i] += o.gB[i];
            }
            return new Sums(loss + o.loss, used + o.used, gA, gB);
        }
    }

    /** Unnormalised loss and gradient sums over {@code samples}. */
    Sums sums(Adapter adapter, List<AdapterSample> samples) {
        int r = adapter.rank();
        int h = adapter.dim();
        float[] a = adapter.a();
        float[] b = adapter.b();
        float[] gA = new float[r * h];
        float[] gB = new float[h * r];
        float[] u = new float[r];
        float[] act = new float[h];
        float[] logits = new float[head.vocab()];
        float[] base = new float[head.vocab()];
        float[] gAct = new float[h];
        float[] gU = new float[r];
        double loss = 0;
        int used = 0;
        for (AdapterSample s : samples) {
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
            // dL/dlogits = softmax - q for the soft target q; logits is reused to hold it
            double anchor = objective.anchor();
            if (anchor > 0) {
                head.project(x, base); // the unadapted drafter's logits
                softmaxInPlace(base);
            }
            double uniform = objective.labelSmoothing() / logits.length;
            for (int v = 0; v < logits.length; v++) {
                double q = uniform + (anchor > 0 ? anchor * base[v] : 0) + (v == label ? objective.hardLabel() : 0);
                double logP = logits[v] - logZ;
                if (q > 0) {
                    loss -= q * logP;
                }
                logits[v] = (float) (Math.exp(logP) - q);
            }
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
        return new Sums(loss, used, gA, gB);
    }

    private static void softmaxInPlace(float[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : z) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (int v = 0; v < z.length; v++) {
            z[v] = (float) Math.exp(z[v] - max);
            sum += z[v];
        }
        for (int v = 0; v < z.length; v++) {
            z[v] /= (float) sum;
        }
    }
}
