package dev.specserve.bandit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

class ArmAndConfigTest {

    @Test
    void defaultArmsAreWaitAndTwoUpdatesWithDifferentStepAndDataBudgets() {
        assertThat(Arm.defaults()).containsExactly(Arm.WAIT, Arm.UPDATE_SMALL, Arm.UPDATE_LARGE);
        assertThat(Arm.WAIT.isWait()).isTrue();
        assertThat(Arm.UPDATE_SMALL.steps()).isLessThan(Arm.UPDATE_LARGE.steps());
        assertThat(Arm.UPDATE_SMALL.usableSamples(1000)).isEqualTo(256);
        assertThat(Arm.UPDATE_LARGE.usableSamples(1000)).isEqualTo(1000);
        assertThat(Arm.UPDATE_SMALL.usableSamples(10)).isEqualTo(10);
    }

    @Test
    void aScalingArmTakesStepsForItsPassesOverTheFreshSamplesWithinItsBounds() {
        Arm large = Arm.epochs("LARGE", 3, 32, 48, 256);
        assertThat(large.stepsFor(0)).isEqualTo(48);
        assertThat(large.stepsFor(500)).isEqualTo(48);           // 3 x 500 / 32 = 46.9 -> at least 48
        assertThat(large.stepsFor(1566)).isEqualTo(147);         // three passes over 1,566 labels
        assertThat(large.stepsFor(100_000)).isEqualTo(256);
        Arm capped = new Arm("CAPPED", 16, 1024, 3.0 / 32, 512);
        assertThat(capped.stepsFor(100_000)).isEqualTo(96);      // its data budget caps the passes too
        assertThat(Arm.UPDATE_SMALL.stepsFor(100_000)).isEqualTo(Arm.UPDATE_SMALL.steps());
        assertThat(Arm.WAIT.stepsFor(100_000)).isZero();
    }

    @Test
    void scalingArmsRejectBoundsThatCannotHold() {
        assertThatThrownBy(() -> new Arm("X", 48, 0, 0.1, 16)).hasMessageContaining("maxSteps");
        assertThatThrownBy(() -> new Arm("X", 0, 0, 0.1, 16)).hasMessageContaining("steps");
        assertThatThrownBy(() -> new Arm("X", 8, 0, -0.1, 16)).hasMessageContaining("stepsPerSample");
        assertThatThrownBy(() -> new Arm("X", 8, 0, Double.NaN, 16)).hasMessageContaining("stepsPerSample");
    }

    @Test
    void aScalingArmSurvivesTheConfigsJsonView() {
        Arm large = Arm.epochs("LARGE", 3, 32, 48, 256);
        BanditConfig c = new BanditConfig(List.of(Arm.WAIT, Arm.UPDATE_SMALL, large), 300, 0.5, 0.01, 0.01, 7);
        BanditConfig back = BanditConfig.fromMap(c.toMap());
        assertThat(back.arms()).containsExactly(Arm.WAIT, Arm.UPDATE_SMALL, large);
        assertThat(back.arms().get(2).stepsFor(1566)).isEqualTo(147);
    }

    @Test
    void aScalingArmIsPricedAndDecidedWithTheStepsItsFreshSamplesBuy() {
        Arm passes = Arm.epochs("PASSES", 3, 32, 16, 256);   // 3 x 1,600 / 32 = 150 steps
        BanditConfig d = BanditConfig.defaults(1);
        BanditConfig c = new BanditConfig(List.of(Arm.WAIT, passes), d.horizonSeconds(), d.swapCostSeconds(),
                d.priorVariance(), d.noiseVariance(), 1, d.tuning());
        Decision dec = new CostAwareBandit(c, CostAwareBanditTest.CLOCK, "run1").decide("d", CostAwareBanditTest.drifted().freshSamples(1600).build());
        double dTau = 0.6 * (1 - Math.exp(-150 / 32.0)) * 1600 / 1856.0;
        double updateSeconds = 2.0 + 150 * 1.0;
        assertThat(dec.estimate("PASSES").predictedGain())
                .isCloseTo(dTau * 80 * (300 - updateSeconds - 0.5), org.assertj.core.api.Assertions.within(1e-9));
        assertThat(dec.estimate("PASSES").predictedCost())
                .isCloseTo(3.0 * 80 * (0.5 * (0.6 + 2 / 8.0) * updateSeconds + 0.5), org.assertj.core.api.Assertions.within(1e-9));
        assertThat(dec.steps()).isEqualTo(dec.isUpdate() ? 150 : 0);
        assertThat(dec.toMap()).containsEntry("armSteps", dec.steps());
    }

    @Test
    void armsRejectBadNamesAndNegativeBudgets() {
        assertThatThrownBy(() -> new Arm("has space", 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Arm("", 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Arm("X", -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Arm("X", 1, -5)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void configNeedsExactlyOneWaitArmAndUniqueNames() {
        Arm u = new Arm("U", 4);
        assertThatThrownBy(() -> new BanditConfig(List.of(u), 300, 0.5, 0.01, 0.01, 1))
                .hasMessageContaining("exactly one arm");
        assertThatThrownBy(() -> new BanditConfig(List.of(Arm.WAIT, new Arm("W2", 0), u), 300, 0.5, 0.01, 0.01, 1))
                .hasMessageContaining("exactly one arm");
        assertThatThrownBy(() -> new BanditConfig(List.of(Arm.WAIT), 300, 0.5, 0.01, 0.01, 1))
                .hasMessageContaining("update arm");
        assertThatThrownBy(() -> new BanditConfig(List.of(Arm.WAIT, u, new Arm("U", 8)), 300, 0.5, 0.01, 0.01, 1))
                .hasMessageContaining("duplicate");
    }

    @Test
    void configRejectsNonsensicalNumbers() {
        List<Arm> arms = Arm.defaults();
        assertThatThrownBy(() -> new BanditConfig(arms, 0, 0.5, 0.01, 0.01, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BanditConfig(arms, 300, -1, 0.01, 0.01, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BanditConfig(arms, 300, 0.5, 0, 0.01, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BanditConfig(arms, 300, 0.5, 0.01, Double.NaN, 1)).isInstanceOf(IllegalArgumentException.class);
        BanditConfig.Tuning t = BanditConfig.Tuning.defaults();
        assertThatThrownBy(() -> t.withMinFreshSamples(0)).hasMessageContaining("fresh");
        assertThatThrownBy(() -> t.withUpdateCapacityShare(1.5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> t.withDiscount(0.2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> t.withMaxPending(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void armListIsCopiedAndTheWaitArmIsFound() {
        java.util.ArrayList<Arm> arms = new java.util.ArrayList<>(List.of(new Arm("U", 4), new Arm("IDLE", 0)));
        BanditConfig c = new BanditConfig(arms, 300, 0.5, 0.01, 0.01, 7);
        arms.clear();
        assertThat(c.arms()).hasSize(2);
        assertThat(c.waitArm().name()).isEqualTo("IDLE");
        assertThat(c.tuning()).isEqualTo(BanditConfig.Tuning.defaults());
    }

    @Test
    void aConfigurationReadBackFromItsMapBuildsTheSameBandit() {
        BanditConfig c = new BanditConfig(List.of(new Arm("U", 4, 128), new Arm("IDLE", 0), new Arm("BIG", 64)),
                120.5, 0.25, 0.02, 0.005, Long.MAX_VALUE - 3,
                BanditConfig.Tuning.defaults().withDiscount(0.99).withMinFreshSamples(32).withMaxPending(17)
                        .withLearnedGateSigmas(1.5));

        assertThat(BanditConfig.fromMap(c.toMap())).isEqualTo(c);
        assertThat(BanditConfig.fromMap(BanditConfig.defaults(7).toMap())).isEqualTo(BanditConfig.defaults(7));
        assertThat(c.toMap()).containsEntry("seed", Long.MAX_VALUE - 3);
    }

    @Test
    void aConfigurationMapWithAMissingOrMistypedValueIsRefusedByName() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>(BanditConfig.defaults(7).toMap());
        m.put("seed", 7.5);
        assertThatThrownBy(() -> BanditConfig.fromMap(m)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("seed");
        m.put("seed", 7L);
        m.remove("horizonSeconds");
        assertThatThrownBy(() -> BanditConfig.fromMap(m)).hasMessageContaining("horizonSeconds");
    }
}
