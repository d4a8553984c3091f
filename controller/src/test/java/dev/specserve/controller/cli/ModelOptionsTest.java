package dev.specserve.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.specserve.controller.config.ConfigKey;
import dev.specserve.runtime.SpecserveHome;
import dev.specserve.runtime.ort.ExecutionDevice;
import dev.specserve.runtime.ort.IntraOpThreads;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The model flags of the offline commands read SPECSERVE_* as serve does, and errors say where a value came from. */
class ModelOptionsTest {
    private static ModelOptions with(Map<String, String> env) {
        ModelOptions o = new ModelOptions();
        o.env = env;
        return o;
    }

    @Test
    void an_empty_variable_is_unset_as_serve_reads_it() {
        assertThat(with(Map.of("SPECSERVE_MODELS", "")).directory()).isEqualTo(SpecserveHome.demoModels());
        assertThat(with(Map.of("SPECSERVE_MODELS", "/m/x")).directory()).isEqualTo(Path.of("/m/x"));
        assertThat(with(Map.of("SPECSERVE_DEVICE", "")).setting(null, ConfigKey.DEVICE, ExecutionDevice::parse))
                .isEqualTo(ExecutionDevice.parse("auto"));
    }

    @Test
    void a_flag_beats_the_variable() {
        ModelOptions o = with(Map.of("SPECSERVE_THREADS", "abc"));
        assertThat((int) o.setting("3", ConfigKey.THREADS, IntraOpThreads::resolve)).isEqualTo(3);
    }

    @Test
    void a_bad_value_names_the_variable_or_the_flag_it_came_from() {
        assertThatThrownBy(() -> with(Map.of("SPECSERVE_THREADS", "abc")).setting(null, ConfigKey.THREADS,
                IntraOpThreads::resolve)).hasMessageContaining("'abc'")
                .hasMessageEndingWith("(from environment variable SPECSERVE_THREADS)");
        assertThatThrownBy(() -> with(Map.of()).setting("gpu", ConfigKey.DEVICE, ExecutionDevice::parse))
                .hasMessageContaining("gpu").hasMessageEndingWith("(from --device)");
        assertThatThrownBy(() -> with(Map.of("SPECSERVE_MODELS", "  ")).directory())
                .hasMessageContaining("SPECSERVE_MODELS");
    }

    @Test
    void generate_reports_a_bad_environment_variable_by_name_before_loading_anything() {
        // the process environment cannot be changed here, so the same path through a flag: named as the flag
        assertThat(CliErrors.of("generate", "--prompt", "x", "--threads", "abc")).contains("(from --threads)");
        assertThat(CliErrors.of("parity", "--device", "gpu")).contains("(from --device)");
    }
}
