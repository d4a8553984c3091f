package dev.specserve.drafters.update;

import dev.specserve.drafters.Adapter;
import java.util.List;

/**
 * Scores adapter versions on held-out recent samples before any swap: top-1 agreement with the target
 * (the acceptance the adapter would have had; a target token outside the draft vocabulary is a miss) and mean
 * loss over the samples the drafter could have proposed. A candidate with a non-finite value or the
 * wrong shape is rejected outright.
 */
public final class ShadowEvaluator {
    private final LmHead head;

    public ShadowEvaluator(LmHead head) {
        this.head = head;
    }

    public record Score(double agreement, double loss) {}

    public record Verdict(boolean accept, String reason, Score current, Score candidate) {}

    public Score score(Adapter adapter, List<AdapterSample> heldOut) {
        int r = adapter.rank();
        int h = adapter.dim();
        float[] u = new float[r];
        float[] act = new float[h];
        float[] logits = new float[head.vocab()];
        int hits = 0;
        double loss = 0;
        int scored = 0;
        for (AdapterSample s : heldOut) {
            int label = head.rowOf(s.targetToken());
            if (label < 0) {
                continue; // outside the draft vocabulary: a miss for every adapter
            }
            scored++;
            float[] x = s.hidden();
            for (int i = 0; i < r; i++) {
                float sum = 0;
                for (int j = 0; j < h; j++) {
                    sum += adapter.a()[i * h + j] * x[j];
                }
                u[i] = sum;
            }
            for (int j = 0; j < h; j++) {
                float sum = x[j];
                for (int i = 0; i < r; i++) {
                    sum += adapter.b()[j * r + i] * u[i];
                }
                act[j] = sum;
            }
            head.project(act, logits);
            int best = 0;
            double max = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < logits.length; v++) {
                if (logits[v] > max) {
                    max = logits[v];
                    best = v;
                }
            }
            double z = 0;
            for (float l : logits) {
                z += Math.exp(l - max);
            }
            loss += max + Math.log(z) - logits[label];
            if (best == label) {
                hits++;
            }
        }
        return new Score((double) hits / Math.max(1, heldOut.size()), loss / Math.max(1, scored));
    }

    /** Accepts the candidate only if it is well-formed and at least {@code margin} better in agreement. */
    public Verdict compare(Adapter current, Adapter candidate, List<AdapterSample> heldOut, double margin) {
        if (candidate.rank() != current.rank() || candidate.dim() != current.dim()) {
            return new Verdict(false, "shape mismatch: candidate " + candidate.rank() + "x" + candidate.dim()
                    + " vs current " + current.rank() + "x" + current.dim(), null, null);
        }
        Score cur = score(current, heldOut);
        Score cand = score(candidate, heldOut);
        if (!Double.isFinite(cand.loss()) || !Double.isFinite(cand.agreement())) {
            return new Verdict(false, "candidate produces non-finite values", cur, cand);
        }
        if (cand.agreement() < cur.agreement() + margin) {
            return new Verdict(false, String.format("agreement %.4f does not beat current %.4f by %.4f",
                    cand.agreement(), cur.agreement(), margin), cur, cand);
        }
        return new Verdict(true, "better on held-out samples", cur, cand);
    }
}
