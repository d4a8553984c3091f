package dev.specserve.controller.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** A SPECSERVE_ variable no setting reads is named, with the setting it was probably meant for. */
class UnknownEnvironmentTest {
    @Test
    void a_typo_is_named_with_the_nearest_setting() {
        assertThat(UnknownEnvironment.warnings(Map.of("SPECSERVE_MAX_BACTH", "4")))
                .containsExactly("environment variable SPECSERVE_MAX_BACTH is not a setting this release reads "
                        + "(did you mean SPECSERVE_MAX_BATCH?); ignored");
        assertThat(UnknownEnvironment.warnings(Map.of("SPECSERVE_SOMETHING_ELSE_ENTIRELY", "1")).get(0))
                .doesNotContain("did you mean");
    }

    @Test
    void settings_pass_through_families_and_other_programs_variables_are_not_named() {
        assertThat(UnknownEnvironment.warnings(Map.of("SPECSERVE_MAX_BATCH", "4", "SPECSERVE_DATA", "/data",
                "SPECSERVE_KAFKA_SECURITY_PROTOCOL", "SSL", "SPECSERVE_LOG_FORMAT", "json",
                "SPECSERVE_TRAINER_METRICS_PORT", "9400", "PATH", "/bin", "SPECSERVE_ACCESS_LOG", "false"))).isEmpty();
    }
}
