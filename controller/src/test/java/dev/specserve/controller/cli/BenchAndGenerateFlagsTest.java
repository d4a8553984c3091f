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

    @Test
    void rank_coverage_zero_is_the_argmax_class_policy_its_help_promises_and_out_of_range_values_are_refused() {
        OwnModelCliTest.Run argmax = OwnModelCliTest.cli("generate", "--prompt", "def f():", "--max-tokens", "4",
                "--strategy", "specblock-fixed", "--rank-coverage", "0");
        assertThat(argmax.code()).as(argmax.err()).isZero();
        assertThat(OwnModelCliTest.cli("generate", "--help").out()).contains("0 = branch as the rank head's argmax");
        assertThat(CliErrors.of("generate", "--prompt", "x", "--rank-coverage", "-0.1", "--models", "/does/not/exist"))
                .contains("--rank-coverage must be in [0, 1]", "-0.1");
        assertThat(CliErrors.of("bench", "--rank-floor", "2", "--models", "/does/not/exist"))
                .contains("--rank-floor must be in [0, 1], got 2.0");
    }

    @Test
    void bench_refuses_a_negative_limit_or_warmup_naming_the_flag_as_load_does() {
        assertThat(CliErrors.of("bench", "--limit", "-1", "--models", "/does/not/exist"))
                .contains("--limit must be >= 0", "-1");
        assertThat(CliErrors.of("bench", "--warmup", "-3", "--models", "/does/not/exist"))
                .contains("--warmup must be >= 0, got -3");
    }

    @Test
    void generate_refuses_an_empty_prompt_or_stop_string_before_loading_models() {
        assertThat(CliErrors.of("generate", "--prompt", "", "--max-tokens", "4", "--models", "/does/not/exist"))
                .contains("--prompt is empty").doesNotContain("Exception");
        assertThat(CliErrors.of("generate", "--prompt", "x", "--stop", "", "--models", "/does/not/exist"))
                .contains("--stop strings must not be empty");
    }

    @Test
    void a_request_the_model_cannot_serve_is_one_line_naming_it_not_a_stack_trace() {
        assertThat(CliErrors.of("generate", "--prompt", "def f():", "--max-tokens", "100000"))
                .contains("error: this model's maximum context length is 512 tokens").doesNotContain("Exception", "\tat ");
    }

    @Test
    void a_prompts_file_line_that_is_not_json_is_named_by_file_and_line(@org.junit.jupiter.api.io.TempDir
                                                                        java.nio.file.Path tmp) throws Exception {
        java.nio.file.Path prompts = java.nio.file.Files.writeString(tmp.resolve("p.jsonl"),
                "{\"prompt\": \"ok\"}\nnot json\n");
        assertThat(CliErrors.of("bench", "--prompts", prompts.toString(), "--models", "/does/not/exist"))
                .contains(prompts + ":2: not JSON").doesNotContain("JsonParseException");
    }

    @Test
    void load_against_a_port_with_nothing_listening_says_so_at_once() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        assertThat(CliErrors.of("load", "--url", "http://127.0.0.1:" + port, "--requests", "1"))
                .contains("cannot connect to http://127.0.0.1:" + port + " (connection refused)");
    }

    @Test
    void bench_json_says_whether_the_lookup_corpus_drafted(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
            throws Exception {
        java.nio.file.Path prompts = java.nio.file.Files.writeString(tmp.resolve("p.jsonl"),
                "{\"prompt\": \"def add(a, b):\\n    return\"}\n");
        for (String flag : new String[] {"--no-lookup-corpus", "--max-nodes=6"}) {
            java.nio.file.Path json = tmp.resolve("b" + flag.length() + ".json");
            OwnModelCliTest.Run run = OwnModelCliTest.cli("bench", "--prompts", prompts.toString(), "--strategies",
                    "none,auto", "--max-tokens", "8", "--warmup", "0", flag, "--json", json.toString());
            assertThat(run.code()).as(run.err()).isZero();
            var doc = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.toFile());
            assertThat(doc.get("lookup_corpus").asText())
                    .isEqualTo(flag.equals("--no-lookup-corpus") ? "off (--no-lookup-corpus)" : "lookup.bin");
            assertThat(doc.get("results").get(1).get("identical_to_ar").asBoolean()).isTrue();
        }
    }
}
