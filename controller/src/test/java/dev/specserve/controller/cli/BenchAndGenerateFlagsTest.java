package dev.specserve.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Flags of bench and generate that cannot work are refused at once, naming the flag, before models load. */
class BenchAndGenerateFlagsTest {
    @Test
    void bench_refuses_max_tokens_that_leave_no_room_for_a_prompt_before_warming_up() {
        assertThat(CliErrors.of("bench", "--max-tokens", "600")).contains("--max-tokens 600", "context of 512");
        assertThat(CliErrors.of("bench", "--max-tokens", "0", "--models", "/does/not/exist"))
                .contains("--max-tokens must be >= 1");
    }

    @Test
    void drafting_flags_that_would_switch_drafting_off_are_refused_naming_the_flag() {
        assertThat(CliErrors.of("bench", "--eagle-topk", "-1", "--models", "/does/not/exist"))
                .contains("--eagle-topk must be >= 1, got -1").doesNotContain("Exception");
        assertThat(CliErrors.of("generate", "--max-blocks", "0", "--models", "/does/not/exist", "--prompt", "x"))
                .contains("--max-blocks must be >= 1");
    }
}
