package dev.specserve.drafters;

import dev.specserve.runtime.kv.KvCache;
import dev.specserve.runtime.manifest.DraftVocabulary;
import java.nio.FloatBuffer;

/**
 * One sequence's outputs of a drafter call, per row: hidden [S][H], top-k draft ids and log-probs [S][k], rank logits [S][4].
 * {@link #topIds(int)} maps the draft ids to target tokens through the drafter's vocabulary.
 */
record DrafterOutput(int rows, int dim, int topk, float[] hidden, long[] topIds, float[] topLogprobs,
                     float[] rankLogits, FloatBuffer[] present, int presentFrom, long runNanos,
                     DraftVocabulary vocabulary) {
    /** Classes of the rank head: how many children a position gets. */
    static final int RANK_CLASSES = 4;

    /** Appends this output's present rows (from row {@code presentFrom} of the call's present tensors). */
    void appendTo(KvCache cache) {
        cache.appendRange(present, presentFrom, rows);
    }

    float[] hiddenRow(int row) {
        float[] h = new float[dim];
        System.arraycopy(hidden, row * dim, h, 0, dim);
        return h;
    }

    /** The row's top-k as target token ids. */
    int[] topIds(int row) {
        int[] ids = new int[topk];
        for (int i = 0; i < topk; i++) {
            ids[i] = vocabulary.toTarget((int) topIds[row * topk + i]);
        }
        return ids;
    }

    float[] topLogprobs(int row) {
        float[] lp = new float[topk];
        System.arraycopy(topLogprobs, row * topk, lp, 0, topk);
        return lp;
    }

    /** The rank head's class probabilities (softmax of its logits). */
    float[] rankProbs(int row) {
        float[] p = new float[RANK_CLASSES];
        float max = Float.NEGATIVE_INFINITY;
        for (int c = 0; c < RANK_CLASSES; c++) {
            max = Math.max(max, rankLogits[row * RANK_CLASSES + c]);
        }
        float sum = 0;
        for (int c = 0; c < RANK_CLASSES; c++) {
            p[c] = (float) Math.exp(rankLogits[row * RANK_CLASSES + c] - max);
            sum += p[c];
        }
        for (int c = 0; c < RANK_CLASSES; c++) {
            p[c] /= sum;
        }
        return p;
    }

    /** argmax over the rank head's four classes. */
    int rankClass(int row) {
        int best = 0;
        for (int c = 1; c < RANK_CLASSES; c++) {
            if (rankLogits[row * RANK_CLASSES + c] > rankLogits[row * RANK_CLASSES + best]) {
                best = c;
            }
        }
        return best;
    }
}
