package dev.specserve.controller.adaptbench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RepeatSummaryTest {

    static Map<String, Object> r(String policy, double rate) {
        return Map.of("policy", policy, "net_tokens_per_s", rate, "failed_requests", 0);
    }

    @Test
    @SuppressWarnings("unchecked")
    void reportsRatiosPerRunTheirMediansAndTheBestPeriodicInHindsight() {
        List<List<Map<String, Object>>> runs = List.of(
                List.of(r("static", 100), r("periodic-8", 90), r("periodic-32", 105), r("bandit", 120)),
                List.of(r("static", 110), r("periodic-8", 95), r("periodic-32", 99), r("bandit", 121)),
                List.of(r("static", 90), r("periodic-8", 99), r("periodic-32", 108), r("bandit", 99)));
        Map<String, Object> s = RepeatSummary.ofResults(runs);
        Map<String, Object> ratios = (Map<String, Object>) s.get("ratio_to_static");
        Map<String, Object> bandit = (Map<String, Object>) ratios.get("bandit");
        assertThat((List<Double>) bandit.get("per_run")).containsExactly(1.2, 1.1, 1.1);
        assertThat(bandit.get("median")).isEqualTo(1.1);
        assertThat(s.get("best_periodic_in_hindsight")).isEqualTo("periodic-32");
        Map<String, Object> vsBest = (Map<String, Object>) s.get("bandit_to_best_periodic");
        assertThat((double) vsBest.get("median")).isEqualTo(1.143);
        assertThat(s.get("failed_requests")).isEqualTo(0L);
    }

    @Test
    @SuppressWarnings("unchecked")
    void aControlRunOfStaticSetsTheNoiseBandThatOtherRatiosAreJudgedAgainst() {
        List<List<Map<String, Object>>> runs = List.of(
                List.of(r("static", 100), r("periodic-8", 104), r("bandit", 120), r(RepeatSummary.CONTROL, 95)),
                List.of(r("static", 100), r("periodic-8", 103), r("bandit", 125), r(RepeatSummary.CONTROL, 106)),
                List.of(r("static", 100), r("periodic-8", 96), r("bandit", 118), r(RepeatSummary.CONTROL, 101)));
        Map<String, Object> s = RepeatSummary.ofResults(runs);
        assertThat(s.get("noise_band")).isEqualTo(0.06);
        Map<String, Object> ratios = (Map<String, Object>) s.get("ratio_to_static");
        assertThat(((Map<String, Object>) ratios.get("bandit")).get("beyond_noise")).isEqualTo(true);
        assertThat(((Map<String, Object>) ratios.get("periodic-8")).get("beyond_noise")).isEqualTo(false);
        assertThat((Map<String, Object>) ratios.get(RepeatSummary.CONTROL)).doesNotContainKey("beyond_noise");
    }

    static Map<String, Object> r(String policy, double rate, double machineSpeed) {
        return Map.of("policy", policy, "net_tokens_per_s", rate, "failed_requests", 0,
                RepeatSummary.NORMALISED, rate / machineSpeed);
    }

    @Test
    @SuppressWarnings("unchecked")
    void ratiosOfSpeedNormalisedRatesTakeOutAMachineThatSlowedDownDuringOnePolicy() {
        // the control did the same work as static, on a machine running at 0.6 of its speed
        List<List<Map<String, Object>>> runs = List.of(
                List.of(r("static", 100, 1.0), r("bandit", 110, 1.0), r(RepeatSummary.CONTROL, 60, 0.6)),
                List.of(r("static", 100, 1.0), r("bandit", 66, 0.6), r(RepeatSummary.CONTROL, 101, 1.0)),
                List.of(r("static", 100, 1.0), r("bandit", 110, 1.0), r(RepeatSummary.CONTROL, 100, 1.0)));
        Map<String, Object> s = RepeatSummary.ofResults(runs);

        assertThat(s.get("noise_band")).as("raw tokens/s").isEqualTo(0.4);
        Map<String, Object> normalised = (Map<String, Object>) s.get(RepeatSummary.NORMALISED);
        assertThat(normalised.get("noise_band")).isEqualTo(0.01);
        Map<String, Object> bandit = (Map<String, Object>) ((Map<String, Object>) normalised.get("ratio_to_static"))
                .get("bandit");
        assertThat((List<Double>) bandit.get("per_run")).containsExactly(1.1, 1.1, 1.1);
        assertThat(bandit.get("beyond_noise")).isEqualTo(true);
    }

    /** Two runs judge nothing: a bandit that never updated read 1.34x static, "beyond" a band from two controls. */
    @Test
    @SuppressWarnings("unchecked")
    void fewerThanThreeRunsAreNotJudgedAgainstTheNoiseBand() {
        List<List<Map<String, Object>>> runs = List.of(
                List.of(r("static", 100), r("bandit", 179), r(RepeatSummary.CONTROL, 128)),
                List.of(r("static", 100), r("bandit", 89), r(RepeatSummary.CONTROL, 103)));
        Map<String, Object> ratios = (Map<String, Object>) RepeatSummary.ofResults(runs).get("ratio_to_static");

        assertThat((Map<String, Object>) ratios.get("bandit")).containsEntry("beyond_noise", null);
    }

    @Test
    void withoutSpeedProbesThereIsNoNormalisedSummary() {
        assertThat(RepeatSummary.ofResults(List.of(List.of(r("static", 100), r("bandit", 150)))))
                .doesNotContainKey(RepeatSummary.NORMALISED);
    }

    @Test
    @SuppressWarnings("unchecked")
    void withoutAControlNoRatioClaimsToBeBeyondNoise() {
        Map<String, Object> s = RepeatSummary.ofResults(List.of(List.of(r("static", 100), r("bandit", 150))));
        assertThat(s).doesNotContainKey("noise_band");
        assertThat((Map<String, Object>) ((Map<String, Object>) s.get("ratio_to_static")).get("bandit"))
                .doesNotContainKey("beyond_noise");
    }
}
