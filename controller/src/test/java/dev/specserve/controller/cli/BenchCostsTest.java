package dev.specserve.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bench --costs reads no prompts: it writes --json, and refuses the flags it would ignore. */
class BenchCostsTest {
    @Test
    void costs_are_written_to_json_and_no_prompts_file_is_read(@TempDir Path tmp) throws Exception {
        Path json = tmp.resolve("costs.json");

        OwnModelCliTest.Run run = OwnModelCliTest.cli("bench", "--costs", "--json", json.toString());

        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out()).contains("target decode step").endsWith(System.lineSeparator());
        JsonNode doc = new ObjectMapper().readTree(json.toFile());
        assertThat(doc.get("target_step_ms").asDouble()).isPositive();
        assertThat(doc.get("drafter_block_ms").asDouble()).isPositive();
        assertThat(doc.get("repeats").asInt()).isEqualTo(200);
    }

    @Test
    void prompts_strategies_and_limit_are_refused_with_costs_naming_them_before_models_load() {
        assertThat(CliErrors.of("bench", "--costs", "--strategies", "none,auto", "--prompts", "/nonexist.jsonl",
                "--models", "/does/not/exist")).contains("--costs", "--prompts and --strategies", "ignored")
                .doesNotContain("prompts file not found");
        assertThat(CliErrors.of("bench", "--costs", "--limit", "3", "--models", "/does/not/exist"))
                .contains("--limit would be ignored");
        assertThat(CliErrors.of("bench", "--costs", "--max-tokens", "9", "--temperature", "0.8", "--models",
                "/does/not/exist")).as("the costs' contexts are fixed and greedy")
                .contains("--max-tokens and --temperature would be ignored");
    }
}
