package dev.specserve.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AdaptBenchCommandTest {
    @Test
    void bursty_runs_its_own_client_levels_so_clients_is_refused_before_models_load() {
        assertThat(errors("--scenario", "bursty", "--clients", "1", "--models", "/does/not/exist"))
                .contains("--clients", "bursty");
    }

    @Test
    void fewer_than_one_client_is_refused_naming_the_option() {
        assertThat(errors("--clients", "0", "--models", "/does/not/exist")).contains("--clients must be >= 1");
    }

    static String errors(String... args) {
        return CliErrors.of("adapt-bench", args);
    }
}
