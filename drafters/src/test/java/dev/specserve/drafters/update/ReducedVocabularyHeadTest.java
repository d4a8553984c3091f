package dev.specserve.drafters.update;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.drafters.Adapter;
import dev.specserve.runtime.manifest.DraftVocabulary;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Adapter training and shadow scoring work in the drafter's reduced vocabulary (draft id = head row). */
class ReducedVocabularyHeadTest {
    static final int VOCAB = AdapterTrainerTest.VOCAB;
    static final int DIM = AdapterTrainerTest.DIM;
    static final int[] D2T = {5, 9, 0, 33, 12, 20, 1, 7};

    final LmHead full = AdapterTrainerTest.randomHead(21);
    final LmHead reduced = full.restrictedTo(DraftVocabulary.of(D2T, VOCAB));

    @Test
    void theReducedHeadHoldsTheFullHeadsRowsOfTheDraftVocabulary() {
        float[] x = AdapterTrainerTest.samples(1, 3, h -> 0).get(0).hidden();
        float[] fullLogits = new float[VOCAB];
        float[] draftLogits = new float[D2T.length];
        full.project(x, fullLogits);
        reduced.project(x, draftLogits);

        assertThat(reduced.vocab()).isEqualTo(D2T.length);
        for (int d = 0; d < D2T.length; d++) {
            assertThat(draftLogits[d]).isEqualTo(fullLogits[D2T[d]]);
            assertThat(reduced.rowOf(D2T[d])).isEqualTo(d);
        }
        assertThat(reduced.rowOf(2)).as("target token 2 is not in the draft vocabulary").isEqualTo(-1);
    }

    @Test
    void samplesWhoseTokenCannotBeDraftedDoNotMoveTheAdapter() {
        AdapterTrainer trainer = new AdapterTrainer(reduced, 1e-2, 0);
        Adapter adapter = AdapterTrainer.initial(AdapterTrainerTest.RANK, DIM, 3);
        List<AdapterSample> drafted = AdapterTrainerTest.samples(6, 5, h -> D2T[(int) Math.abs(h[0] * 100) % D2T.length]);
        List<AdapterSample> withUndraftable = new java.util.ArrayList<>(drafted);
        withUndraftable.addAll(AdapterTrainerTest.samples(4, 6, h -> 2)); // token 2 lies outside the map

        AdapterTrainer.Gradient g1 = trainer.gradient(adapter, drafted);
        AdapterTrainer.Gradient g2 = trainer.gradient(adapter, withUndraftable);

        assertThat(g2.loss()).isEqualTo(g1.loss());
        assertThat(g2.gradA()).containsExactly(g1.gradA());
        assertThat(g2.gradB()).containsExactly(g1.gradB());
    }

    @Test
    void theShadowEvaluatorCountsAnUndraftableTokenAsAMiss() {
        ShadowEvaluator eval = new ShadowEvaluator(reduced);
        Adapter zero = Adapter.zero(AdapterTrainerTest.RANK, DIM);
        // label each sample with the reduced head's own argmax: every drafted sample is a hit
        List<AdapterSample> hits = AdapterTrainerTest.samples(6, 8, h -> D2T[argmax(reduced, h)]);
        List<AdapterSample> mixed = new java.util.ArrayList<>(hits);
        mixed.addAll(AdapterTrainerTest.samples(2, 9, h -> 2));

        assertThat(eval.score(zero, hits).agreement()).isEqualTo(1.0);
        assertThat(eval.score(zero, mixed).agreement()).isEqualTo(6.0 / 8);
        assertThat(eval.score(zero, mixed).loss()).isEqualTo(eval.score(zero, hits).loss());
    }

    private static int argmax(LmHead head, float[] x) {
        float[] logits = new float[head.vocab()];
        head.project(x, logits);
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }
}
