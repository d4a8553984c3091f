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
