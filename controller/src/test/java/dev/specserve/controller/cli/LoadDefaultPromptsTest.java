package dev.specserve.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.controller.adaptbench.BenchPrompts;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What {@code load} sends when no --prompts is given. */
class LoadDefaultPromptsTest {
    @Test
    void bothHeldOutStreamsAlternateSoEveryLevelMixesTheDomains() throws Exception {
        List<String> python = BenchPrompts.load("python-stream.jsonl");
        List<String> java = BenchPrompts.load("java-stream.jsonl");

        List<String> mixed = LoadCommand.defaultPrompts();

        assertThat(mixed).hasSize(python.size() + java.size());
        assertThat(mixed.subList(0, 4)).containsExactly(python.get(0), java.get(0), python.get(1), java.get(1));
        assertThat(mixed).containsAll(python).containsAll(java);
    }

    @Test
    void theDefaultLevelsNeverSendAPromptTwice() throws Exception {
        List<String> mixed = LoadCommand.defaultPrompts();
        int warmup = 2;
        int levels = 3;
        int requestsPerLevel = 32;

        assertThat(new HashSet<>(mixed.subList(0, warmup + levels * requestsPerLevel)))
                .hasSize(warmup + levels * requestsPerLevel);
    }
}
