package dev.specserve.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A command line that does not parse gets the problem, named, and a pointer to --help: not the whole usage. */
class BadArgumentsTest {
    @Test
    void a_mistyped_required_flag_is_named_with_the_flag_it_resembles_not_reported_as_missing() {
        String err = CliErrors.of("generate", "--promt", "x");

        assertThat(err).contains("Unknown option: '--promt'", "--prompt", "specserve generate --help")
                .doesNotContain("Missing required option");
    }

    @Test
    void an_unknown_serve_flag_is_the_first_line_and_the_settings_table_is_not_printed() {
        String err = CliErrors.of("serve", "--bogus");

        assertThat(err.lines().findFirst()).hasValue("error: Unknown option: '--bogus'");
        assertThat(err.lines().count()).isLessThanOrEqualTo(3);
        assertThat(err).contains("Run 'specserve serve --help'").doesNotContain("--max-batch=N", "Settings");
    }

    @Test
    void option_values_that_start_with_a_dash_are_not_taken_for_unknown_options() {
        assertThat(Main.unknownOptions(new picocli.CommandLine(new Main()).getSubcommands().get("generate"),
                new String[] {"generate", "--prompt", "-x", "--eagle-topk", "-1", "--stop=--", "--promt"}))
                .containsExactly("--promt");
        assertThat(CliErrors.of("generate", "--max-tokens")).contains("Missing required parameter for option "
                + "'--max-tokens'", "--help");
    }
}
