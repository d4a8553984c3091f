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

    @Test
    void counts_below_one_are_refused_before_models_load_not_after_the_first_policy() {
        assertThat(errors("--requests", "0", "--models", "/does/not/exist")).contains("--requests must be >= 1");
        assertThat(errors("--max-tokens", "0", "--models", "/does/not/exist")).contains("--max-tokens must be >= 1");
        assertThat(errors("--periods", "8,0", "--models", "/does/not/exist")).contains("--periods must all be >= 1");
    }

    static String errors(String... args) {
        return CliErrors.of("adapt-bench", args);
    }
}
