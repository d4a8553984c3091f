package dev.specserve.bandit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

import org.junit.jupiter.api.Test;

class DecisionTest {

    static Decision sample() {
        DecisionContext ctx = DecisionContextTest.typical().build();
        List<Decision.ArmEstimate> est = List.of(
                new Decision.ArmEstimate(Arm.WAIT, true, 0, 0, 0, -50, 20, -40),
                new Decision.ArmEstimate(Arm.UPDATE_SMALL, true, 900, 300, 600, 550, 80, 700),
                new Decision.ArmEstimate(Arm.UPDATE_LARGE, false, 1000, 1500, -500, -550, 90, Double.NaN));
        return new Decision("run:d1:3", "d1", 3, 1_700_000_000_000L, ctx, Arm.UPDATE_SMALL,
                Decision.Reason.THOMPSON_SAMPLE, 900, 300, 72_000, 80, est, OptionalDouble.empty());
    }

    /** Walks a value and fails on anything a JSON encoder could not write as is. */
    static void assertJsonable(Object v, String path) {
        if (v == null || v instanceof String || v instanceof Boolean) {
            return;
        }
        if (v instanceof Double d) {
            assertThat(Double.isFinite(d)).as(path + " finite").isTrue();
            return;
        }
        if (v instanceof Integer || v instanceof Long) {
            return;
        }
        if (v instanceof Map<?, ?> m) {
            m.forEach((k, x) -> {
                assertThat(k).as(path + " key").isInstanceOf(String.class);
                assertJsonable(x, path + "." + k);
            });
            return;
        }
        if (v instanceof List<?> l) {
            for (int i = 0; i < l.size(); i++) {
                assertJsonable(l.get(i), path + "[" + i + "]");
            }
            return;
        }
        throw new AssertionError(path + " is a " + v.getClass());
    }

    @Test
    void toMapIsPlainJsonWithEverythingTheEventNeeds() {
        Map<String, Object> m = sample().toMap();
        assertJsonable(m, "$");
        assertThat(m).containsEntry("id", "run:d1:3").containsEntry("drafterId", "d1")
                .containsEntry("arm", "UPDATE_SMALL").containsEntry("armSteps", 8).containsEntry("update", true)
                .containsEntry("reason", "THOMPSON_SAMPLE").containsEntry("predictedGain", 900.0)
                .containsEntry("predictedCost", 300.0).containsEntry("realised", false)
                .containsEntry("realisedReward", null)
                .containsKeys("context", "arms", "posteriorMeans", "decidedAtMillis", "rewardScale");
        @SuppressWarnings("unchecked")
        Map<String, Object> means = (Map<String, Object>) m.get("posteriorMeans");
        assertThat(means)
                .containsEntry("WAIT", -50.0).containsEntry("UPDATE_SMALL", 550.0).containsEntry("UPDATE_LARGE", -550.0);
        @SuppressWarnings("unchecked")
        Map<String, Object> large = ((List<Map<String, Object>>) m.get("arms")).get(2);
        assertThat(large).containsEntry("eligible", false).containsEntry("sampledValue", null)
                .containsEntry("structuralValue", -500.0);
        assertThatThrownBy(() -> m.put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void realisingKeepsTheIdAndEverythingElse() {
        Decision d = sample();
        Decision r = d.withRealised(1234.5);
        assertThat(r.id()).isEqualTo(d.id());
        assertThat(r.isRealised()).isTrue();
        assertThat(d.isRealised()).as("the original is immutable").isFalse();
        assertThat(r.realisedReward()).hasValue(1234.5);
        assertThat(r.toMap()).containsEntry("realised", true).containsEntry("realisedReward", 1234.5);
        assertThat(r.estimates()).isEqualTo(d.estimates());
        assertThatThrownBy(() -> d.withRealised(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void estimatesAreImmutableAndLookedUpByName() {
        Decision d = sample();
        assertThatThrownBy(() -> d.estimates().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThat(d.chosen().arm()).isEqualTo(Arm.UPDATE_SMALL);
        assertThat(d.estimate("UPDATE_LARGE").structuralValue()).isEqualTo(-500.0);
        assertThatThrownBy(() -> d.estimate("NOPE")).isInstanceOf(IllegalArgumentException.class);
    }
}
