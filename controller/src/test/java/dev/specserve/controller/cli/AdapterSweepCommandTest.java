package dev.specserve.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AdapterSweepCommandTest {
    @Test
    void anObjectiveThatLeavesNoWeightOnTheLabelIsRefusedNamingBothOptionsBeforeModelsLoad() {
        assertThat(errors("--label-smoothing", "0.1,0.5", "--anchor", "0.5", "--models", "/does/not/exist"))
                .contains("--label-smoothing 0.5 with --anchor 0.5", "sum below 1");
    }

    @Test
    void aLearningRateThatIsNotPositiveIsRefused() {
        assertThat(errors("--learning-rate", "0", "--models", "/does/not/exist")).contains("--learning-rate must be > 0");
    }

    @Test
    void stepsAndMaxTokensBelowOneAreRefusedNamingTheFlagNotReportedAsATrainedAdapter() {
        assertThat(errors("--steps", "-5", "--models", "/does/not/exist")).contains("--steps must all be >= 1", "-5");
        assertThat(errors("--steps", "32,0", "--models", "/does/not/exist")).contains("--steps must all be >= 1");
        assertThat(errors("--max-tokens", "0", "--models", "/does/not/exist")).contains("--max-tokens must be >= 1");
    }

    static String errors(String... args) {
        return CliErrors.of("adapter-sweep", args);
    }
}
