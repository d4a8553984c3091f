package dev.specserve.controller.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Prompt files of the benchmarks. */
final class PromptFiles {
    private static final ObjectMapper JSON = new ObjectMapper();

    private PromptFiles() {}

    /** The prompts of a jsonl file (one {"prompt": "..."} per line); {@code bench} and {@code load} read them. */
    static List<String> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("prompts file not found: " + file);
        }
        List<String> out = new ArrayList<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(file)) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            com.fasterxml.jackson.databind.JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalArgumentException(file + ":" + lineNo + ": not JSON (" + e.getOriginalMessage()
                        + "); expected {\"prompt\": \"...\"}");
            }
            if (node == null || !node.has("prompt") || !node.get("prompt").isTextual() || node.get("prompt").asText().isEmpty()) {
                throw new IllegalArgumentException(file + ":" + lineNo + ": expected {\"prompt\": \"...\"}");
            }
            out.add(node.get("prompt").asText());
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("prompts file " + file + " has no prompts");
        }
        return out;
    }
}
