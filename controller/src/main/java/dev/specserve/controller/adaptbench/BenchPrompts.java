package dev.specserve.controller.adaptbench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.specserve.runtime.SpecserveHome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The prompts of a {@code bench/prompts/*.jsonl} file (one {@code {"prompt": ...}} object per line). */
public final class BenchPrompts {
    private static final ObjectMapper JSON = new ObjectMapper();

    private BenchPrompts() {}

    public static List<String> load(String file) throws IOException {
        Path p = SpecserveHome.home().resolve("bench/prompts").resolve(file);
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(p)) {
            if (!line.isBlank()) {
                out.add(JSON.readTree(line).get("prompt").asText());
            }
        }
        return out;
    }
}
