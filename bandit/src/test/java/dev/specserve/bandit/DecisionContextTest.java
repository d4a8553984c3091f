package dev.specserve.bandit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class DecisionContextTest {

    static DecisionContext.Builder typical() {
        return DecisionContext.builder()
                .tauNow(3.0).tauAfterLastUpdate(3.6).driftScore(1.2).freshSamples(500)
                .roundsPerSecond(80).queueDepth(2).batchOccupancy(0.6)
                .secondsSinceLastUpdate(600).secondsPerStep(1.0).updateOverheadSeconds(2.0);
    }

    @Test
    void derivedQuantitiesFollowTheirDefinitions() {
        DecisionContext c = typical().build();
        assertThat(c.servedTokensPerSecond()).isCloseTo(240.0, within(1e-12));
        assertThat(c.tauGap()).isCloseTo(0.6, within(1e-12));
        assertThat(c.updateSeconds(8)).isCloseTo(10.0, within(1e-12));
        assertThat(c.updateSeconds(0)).isZero();
        assertThat(typical().tauNow(4.0).build().tauGap()).as("acceptance above the post-update level: no gap").isZero();
    }

    @Test
    void builderDefaultsMeanNeverUpdatedAndNoHorizonForecast() {
        DecisionContext c = DecisionContext.builder().build();
        assertThat(c.secondsSinceLastUpdate()).isInfinite();
        assertThat(c.horizonRoundsPerSecond()).isNaN();
        assertThat(c.toBuilder().build()).isEqualTo(c);
    }

    @Test
    void rejectsValuesThatCannotBeMeasurements() {
        assertThatThrownBy(() -> typical().tauNow(-1).build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> typical().tauNow(Double.NaN).build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> typical().freshSamples(-1).build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> typical().batchOccupancy(1.2).build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> typical().queueDepth(-3).build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> typical().roundsPerSecond(Double.POSITIVE_INFINITY).build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> typical().secondsSinceLastUpdate(Double.NaN).build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> typical().horizonRoundsPerSecond(-1).build())
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void costsAndDriftCanBeCopiedFromTheirEstimators() {
        UpdateCostModel costs = new UpdateCostModel(0.7, 3.0);
        DriftDetector drift = new DriftDetector();
        DecisionContext c = typical().costs(costs).drift(drift).build();
        assertThat(c.secondsPerStep()).isEqualTo(0.7);
        assertThat(c.updateOverheadSeconds()).isEqualTo(3.0);
        assertThat(c.driftScore()).isZero();
        assertThat(typical().build().withCosts(costs).secondsPerStep()).isEqualTo(0.7);
    }

    @Test
    void toMapHoldsOnlyJsonValues() {
        DecisionContext c = typical().build();
        assertThat(c.toMap()).containsEntry("tauNow", 3.0).containsEntry("freshSamples", 500L)
                .containsEntry("queueDepth", 2).containsEntry("horizonRoundsPerSecond", null);
        assertThat(DecisionContext.builder().build().toMap()).containsEntry("secondsSinceLastUpdate", null);
    }

    @Test
    void fromMapReadsBackExactlyWhatToMapWrote() {
        DecisionContext measured = typical().tauNow(0.1 + 0.2).driftScore(1.0 / 3).roundsPerSecond(Math.PI * 1e3)
                .batchOccupancy(Double.MIN_VALUE).secondsPerStep(1e-300).horizonRoundsPerSecond(77.25).build();
        DecisionContext fresh = DecisionContext.builder().build();

        assertThat(DecisionContext.fromMap(measured.toMap())).isEqualTo(measured);
        assertThat(DecisionContext.fromMap(fresh.toMap())).as("never updated, no horizon forecast").isEqualTo(fresh);
        assertThat(DecisionContext.fromMap(viaText(measured.toMap()))).as("through decimal text").isEqualTo(measured);
        java.util.Map<String, Object> nullsDropped = new java.util.LinkedHashMap<>(fresh.toMap());
        nullsDropped.values().removeIf(java.util.Objects::isNull);
        assertThat(DecisionContext.fromMap(nullsDropped)).as("a JSON writer that omits nulls").isEqualTo(fresh);
    }

    @Test
    void fromMapTakesTheNumberTypesJsonReadersProduceAndIgnoresOtherKeys() {
        DecisionContext c = typical().build();
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>(c.toMap());
        m.put("freshSamples", 500.0);
        m.put("queueDepth", 2L);
        m.put("tauNow", new java.math.BigDecimal("3.0"));
        m.put("bandit_sequence", 12L);

        assertThat(DecisionContext.fromMap(m)).isEqualTo(c);
    }

    @Test
    void fromMapNamesTheKeyItCannotRead() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>(typical().build().toMap());
        m.remove("driftScore");
        assertThatThrownBy(() -> DecisionContext.fromMap(m)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("driftScore");
        m.put("driftScore", 1.0);
        m.put("tauNow", null);
        assertThatThrownBy(() -> DecisionContext.fromMap(m)).hasMessageContaining("tauNow");
        m.put("tauNow", 3.0);
        m.put("freshSamples", 2.5);
        assertThatThrownBy(() -> DecisionContext.fromMap(m)).hasMessageContaining("freshSamples");
        m.put("freshSamples", 5L);
        m.put("batchOccupancy", "full");
        assertThatThrownBy(() -> DecisionContext.fromMap(m)).hasMessageContaining("batchOccupancy");
        m.put("batchOccupancy", 1.5);
        assertThatThrownBy(() -> DecisionContext.fromMap(m)).hasMessageContaining("batchOccupancy");
    }

    /** Every number printed as decimal text and parsed back, as a JSON log does. */
    static java.util.Map<String, Object> viaText(java.util.Map<String, Object> in) {
        java.util.Map<String, Object> out = new java.util.LinkedHashMap<>();
        in.forEach((k, v) -> out.put(k, v instanceof Double d ? (Object) Double.parseDouble(Double.toString(d))
                : v instanceof Number n ? (Object) Long.parseLong(n.toString()) : v));
        return out;
    }
}
