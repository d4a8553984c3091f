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
    void minPIsMeasuredAfterTemperature() {
        // at temperature 0.5 the shares square: 64, 16, 4, 1, 1 (of 86); 0.2 x 64 = 12.8 keeps two tokens
        SamplingParams p = new SamplingParams(0.5, 1.0, 0).withVllmSampling(0, 0.2, 1);
        assertThat(probabilities(p)).containsExactly(new double[] {64 / 80.0, 16 / 80.0, 0, 0, 0}, within(1e-12));
    }

    @Test
    void theRepetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOfSeenTokensOnce() {
        SamplingParams p = SamplingParams.GREEDY.withVllmSampling(0, 0, 2.0);
        LogitsProcessor processor = new LogitsProcessor(p, 4, new int[] {0, 0, 1});
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
