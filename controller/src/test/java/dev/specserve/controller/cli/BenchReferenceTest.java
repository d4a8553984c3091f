package dev.specserve.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What bench measures against and which prompts it measures: its labels must be true. */
class BenchReferenceTest {
    @TempDir
    Path tmp;

    @Test
    void without_none_among_the_strategies_none_is_added_as_the_reference_and_said_so() throws Exception {
        Path prompts = Files.writeString(tmp.resolve("p.jsonl"), "{\"prompt\": \"def add(a, b):\\n    return\"}\n");
        Path json = tmp.resolve("b.json");

        OwnModelCliTest.Run run = OwnModelCliTest.cli("bench", "--prompts", prompts.toString(), "--strategies",
                "suffix", "--max-tokens", "6", "--warmup", "0", "--json", json.toString());

        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.err()).contains("adding 'none' to --strategies");
        JsonNode results = new ObjectMapper().readTree(json.toFile()).get("results");
        assertThat(results).hasSize(2);
        assertThat(results.get(0).get("strategy").asText()).isEqualTo("none");
        assertThat(results.get(0).get("speedup_vs_none").asDouble()).isEqualTo(1.0);
        assertThat(results.get(1).get("strategy").asText()).isEqualTo("suffix");
        assertThat(results.get(1).get("identical_to_ar").asBoolean()).isTrue();
    }

    /** Sampled, each prompt is seeded alike under every strategy, so bench checks they sample none's text too. */
    @Test
    void a_sampled_run_checks_every_strategy_samples_nones_text_for_the_same_seeds() throws Exception {
        Path prompts = Files.writeString(tmp.resolve("p.jsonl"), "{\"prompt\": \"def add(a, b):\\n    return\"}\n"
                + "{\"prompt\": \"for i in range(\"}\n");
        Path json = tmp.resolve("s.json");

        OwnModelCliTest.Run run = OwnModelCliTest.cli("bench", "--prompts", prompts.toString(), "--strategies",
                "none,suffix,auto", "--max-tokens", "12", "--temperature", "0.8", "--warmup", "0", "--json",
                json.toString());

        assertThat(run.code()).as(run.err()).isZero();
        JsonNode doc = new ObjectMapper().readTree(json.toFile());
        assertThat(doc.get("drafter").get("source").asText()).as("which drafter file ran").contains("drafter");
        assertThat(doc.get("drafter").get("fingerprint").asText()).isNotBlank();
        JsonNode results = doc.get("results");
        for (JsonNode r : results) {
            assertThat(r.get("identical_to_ar").asBoolean()).as(r.get("strategy").asText()).isTrue();
            assertThat(r.get("identical_outputs").asInt()).isEqualTo(2);
        }
    }

    @Test
    void a_prompt_too_long_for_the_context_is_skipped_and_named_not_cut_and_none_fitting_is_an_error()
            throws Exception {
        String longPrompt = "x = 1\\n".repeat(600); // well over the demo target's 512 tokens
        Path prompts = Files.writeString(tmp.resolve("p.jsonl"), "{\"prompt\": \"def f():\\n    return\"}\n"
                + "{\"prompt\": \"" + longPrompt + "\"}\n");
        Path json = tmp.resolve("b.json");

        OwnModelCliTest.Run run = OwnModelCliTest.cli("bench", "--prompts", prompts.toString(), "--strategies",
                "none", "--max-tokens", "6", "--warmup", "0", "--json", json.toString());

        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.err()).contains("skipped 1 of 2 prompts", "--max-tokens 6", "512-token context", "prompt [2]");
        JsonNode doc = new ObjectMapper().readTree(json.toFile());
        assertThat(doc.get("prompt_count").asInt()).isEqualTo(1);
        assertThat(doc.get("prompts_skipped").asInt()).isEqualTo(1);

        Path onlyLong = Files.writeString(tmp.resolve("long.jsonl"), "{\"prompt\": \"" + longPrompt + "\"}\n");
        assertThat(CliErrors.of("bench", "--prompts", onlyLong.toString(), "--strategies", "none", "--max-tokens", "6",
                "--warmup", "0")).contains("no prompt of " + onlyLong + " fits", "--max-tokens 6");
    }
}
