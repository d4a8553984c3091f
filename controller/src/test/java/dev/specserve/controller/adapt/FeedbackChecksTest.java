package dev.specserve.controller.adapt;

import static dev.specserve.controller.adapt.AdaptationControllerTest.DIM;
import static dev.specserve.controller.adapt.AdaptationControllerTest.DRAFTER;
import static dev.specserve.controller.adapt.AdaptationControllerTest.VOCAB;
import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.bandit.Decision;
import dev.specserve.telemetry.TrainingSample;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Arrays;

/**
 * Feedback that decodes but cannot be real is left out of the loop and counted: samples that cannot be the
 * drafter's never reach the sample buffer (or its held-out set), and rounds with no busy time never price a
 * reward; a fresh loop tells the bandit its drafter was never updated.
 */
class FeedbackChecksTest {
    final AdaptationControllerTest loop = new AdaptationControllerTest();
    final AdaptationController.Settings settings = new AdaptationController.Settings(DRAFTER, Duration.ofHours(1),
            Duration.ofSeconds(30), 8, 0.5, 1);

    @org.junit.jupiter.api.Test
    void samplesOfAnotherHiddenSizeWithATokenOutsideTheVocabularyOrANonFiniteValueAreRefusedAndCounted() {
        try (AdaptationController c = loop.controller(settings)) {
            c.targetVocabulary(VOCAB);
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            AdaptationMetrics.register(c, DRAFTER, registry);

            c.onSample(sample(4, new float[4], 3));                  // the drafter's hidden size is DIM
            c.onSample(sample(DIM, new float[DIM], 1_000_000_000)); // not a token of the target
            float[] nan = new float[DIM];
            nan[5] = Float.NaN;
            c.onSample(sample(DIM, nan, 3));

            assertThat(c.samplesSeen()).as("none reached the buffer").isZero();
            assertThat(c.dropped().invalidSamples()).isEqualTo(3);
            assertThat(registry.get("specserve.adaptation.invalid_samples").functionCounter().count()).isEqualTo(3);

            c.onSample(sample(DIM, new float[DIM], VOCAB - 1));
            assertThat(c.samplesSeen()).as("a valid sample still goes in").isEqualTo(1);
        }
    }

    @org.junit.jupiter.api.Test
    void roundsWithNoBusyTimeAreLeftOutSoNoEpochFailsAndAFreshLoopWasNeverUpdated() {
        try (AdaptationController c = loop.controller(settings)) {
            long now = System.currentTimeMillis();
            loop.roundsAt(c, now, 400, 4, 0); // draft and verify time 0, accepted 4

            assertThat(c.dropped().idleRounds()).isEqualTo(400);
            assertThat(c.epoch()).as("no event time, so no decision (and no NaN capacity)").isEmpty();

            loop.roundsAt(c, now + 500, 16, 2, 1000);
            Decision d = c.epoch().orElseThrow();
            assertThat(d.context().tauNow()).as("the idle rounds' acceptance is not in tau").isEqualTo(3.0);
            assertThat(d.context().secondsSinceLastUpdate()).as("never updated")
                    .isEqualTo(Double.POSITIVE_INFINITY);
            assertThat(d.context().toMap().get("secondsSinceLastUpdate")).as("omitted from the event").isNull();
            assertThat(c.dropped().failedEpochs()).isZero();
        }
    }

    static TrainingSample sample(int hiddenDim, float[] hidden, int token) {
        int[] tokens = new int[hidden.length / hiddenDim];
        Arrays.fill(tokens, token);
        boolean[] valid = new boolean[tokens.length];
        Arrays.fill(valid, true);
        int[] depths = new int[tokens.length];
        Arrays.setAll(depths, i -> i + 1);
        return new TrainingSample("req", 0, DRAFTER, 1, hiddenDim, hidden, tokens, valid, depths);
    }
}
