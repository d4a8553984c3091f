package dev.specserve.drafters.update;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.drafters.Adapter;
import dev.specserve.drafters.DrafterVersion;
import dev.specserve.drafters.DrafterVersions;
import java.util.List;
import org.junit.jupiter.api.Test;

class DrafterUpdaterTest {
    static final int RANK = AdapterTrainerTest.RANK;
    static final int DIM = AdapterTrainerTest.DIM;

    /** The target's token: the argmax of the head over a rank-3 shift of the hidden state, which an adapter can learn. */
    static java.util.function.Function<float[], Integer> learnableLabels(LmHead head) {
        Adapter truth = new Adapter(RANK, DIM, AdapterTrainer.initial(RANK, DIM, 99).a(),
                AdapterTrainerTest.scaled(AdapterTrainer.initial(RANK, DIM, 98).a(), 3f));
        return h -> {
            float[] logits = new float[AdapterTrainerTest.VOCAB];
            head.project(AdapterTrainerTest.apply(truth, h), logits);
            int best = 0;
            for (int v = 1; v < logits.length; v++) {
                best = logits[v] > logits[best] ? v : best;
            }
            return best;
        };
    }

    @Test
    void aBetterCandidateBecomesANewVersionWithItsParentAndMetricsButIsNotActivatedByItself() {
        LmHead head = AdapterTrainerTest.randomHead(11);
        java.util.function.Function<float[], Integer> label = learnableLabels(head);
        DrafterVersions versions = new DrafterVersions(Adapter.zero(RANK, DIM));
        DrafterUpdater updater = new DrafterUpdater(versions, head, 3e-2, 32, 0.01);

        DrafterUpdater.Outcome outcome = updater.update(AdapterTrainerTest.samples(600, 1, label),
                AdapterTrainerTest.samples(200, 2, label), 300, 5);

        assertThat(outcome.candidate()).isPresent();
        DrafterVersion v = outcome.candidate().orElseThrow();
        assertThat(v.id()).isGreaterThan(1);
        assertThat(v.parentId()).isEqualTo(1);
        assertThat(v.metrics()).containsKeys("shadow_agreement_before", "shadow_agreement_after", "steps");
        assertThat(versions.current().id()).as("activation is the caller's decision").isEqualTo(1);
    }

    @Test
    void aCorruptedCandidateIsRejectedAndNeverBecomesAVersion() {
        LmHead head = AdapterTrainerTest.randomHead(3);
        DrafterVersions versions = new DrafterVersions(Adapter.zero(RANK, DIM));
        DrafterUpdater updater = new DrafterUpdater(versions, head, 1e-2, 8, 0.0);
        List<AdapterSample> heldOut = AdapterTrainerTest.samples(20, 4, h -> 0);

        DrafterUpdater.Outcome wrongShape = updater.consider(Adapter.zero(RANK + 2, DIM), heldOut, "admin");

        assertThat(wrongShape.candidate()).isEmpty();
        assertThat(wrongShape.verdict().reason()).contains("shape mismatch");
        assertThat(versions.list()).hasSize(1);
        assertThat(versions.rollback()).as("the bundled version has no parent").isEmpty();
    }

    @Test
    void aRefreshContinuesFromTheCurrentAdapterWhileARetrainStartsAfresh() {
        LmHead head = AdapterTrainerTest.randomHead(11);
        java.util.function.Function<float[], Integer> label = learnableLabels(head);
        List<AdapterSample> train = AdapterTrainerTest.samples(600, 1, label);
        List<AdapterSample> heldOut = AdapterTrainerTest.samples(200, 2, label);
        DrafterVersions versions = new DrafterVersions(Adapter.zero(RANK, DIM));
        DrafterUpdater updater = new DrafterUpdater(versions, head, 3e-2, 32, 0.0);
        versions.activate(updater.update(train, heldOut, 300, 5).candidate().orElseThrow());
        double trained = updater.consider(versions.current().adapter(), heldOut, "probe").verdict().current().agreement();

        DrafterUpdater.Outcome refresh = updater.update(train, heldOut, 2, 6, true);
        DrafterUpdater.Outcome retrain = updater.update(train, heldOut, 2, 6, false);

        assertThat(refresh.verdict().candidate().agreement()).as("two steps on from the trained adapter")
                .isGreaterThan(trained - 0.05);
        assertThat(retrain.verdict().candidate().agreement()).as("two steps from a fresh adapter")
                .isLessThan(trained - 0.1);
    }

    @Test
    void theBundledVersionIsNeverForgottenHoweverManyVersionsFollowIt() {
        DrafterVersions versions = new DrafterVersions(Adapter.zero(RANK, DIM));
        DrafterVersion bundled = versions.current();
        for (int i = 0; i < 100; i++) {
            versions.activate(versions.create(Adapter.zero(RANK, DIM), versions.current().id(), java.util.Map.of()));
        }

        assertThat(versions.list()).hasSize(32).first().isSameAs(bundled);
        assertThat(versions.bundled()).isSameAs(bundled);
        assertThat(versions.find(bundled.id())).contains(bundled);
        assertThat(versions.list().get(1).id()).as("the oldest others are forgotten").isEqualTo(101 - 30);
    }
}
