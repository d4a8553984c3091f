package dev.specserve.drafters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.specserve.runtime.SpecserveHome;
import dev.specserve.runtime.manifest.ManifestException;
import dev.specserve.runtime.manifest.ModelManifest;
import dev.specserve.runtime.manifest.OptimumImport;
import dev.specserve.runtime.ort.ExecutionDevice;
import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.Drafter;
import dev.specserve.runtime.spec.GenerationRequest;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.RoundListener;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Models brought by the user and exported without a drafter serve the model-free strategies, and a stock
 * Optimum export, imported unchanged, serves plain decoding and lookup drafts verified as one chain, with
 * greedy output identical to plain decoding (and to the tree export of the same weights).
 */
class OwnModelServingTest {
    static final Path FIXTURES = SpecserveHome.home().resolve("runtime/src/test/resources/byom");
    static final DraftBudget BUDGET = new DraftBudget(16, 8);
    /** Repetitive prompts, so the lookup drafters find something to propose. */
    static final int[][] PROMPTS = {{5, 6, 7, 8, 5, 6, 7, 8, 5, 6, 7, 8, 5, 6}, {300, 42, 300, 42, 300, 42, 300}};

    @TempDir
    Path tmp;

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"llama-gqa-optimum", "llama-gqa-optimum-merged"})
    void aStockOptimumExportServesNoneAndChainSpeculationWithIdenticalGreedyOutput(String export) {
        Path imported = OptimumImport.run(FIXTURES.resolve(export), tmp.resolve("imported"));
        try (ModelStack optimum = ModelStack.load(imported, ExecutionDevice.CPU, 2);
             ModelStack tree = ModelStack.load(FIXTURES.resolve("llama-gqa"), ExecutionDevice.CPU, 2)) {
            assertThat(optimum.manifest().target().contract()).isEqualTo(ModelManifest.Contract.OPTIMUM);
            assertThat(optimum.strategyNames()).containsExactly("none", "ngram", "suffix", "auto");
            int accepted = 0;
            for (int[] prompt : PROMPTS) {
                GenerationResult none = generate(optimum, "none", prompt);
                assertThat(generate(tree, "none", prompt).tokens()).as("same weights, tree contract").isEqualTo(none.tokens());
                for (String s : new String[] {"ngram", "suffix", "auto"}) {
                    GenerationResult chain = generate(optimum, s, prompt);
                    assertThat(chain.tokens()).as("%s (chain) vs none", s).isEqualTo(none.tokens());
                    accepted += chain.tokens().length - chain.rounds();
                }
            }
            assertThat(accepted).as("drafted tokens accepted over all chain runs").isPositive();
            assertThatThrownBy(() -> optimum.strategy("specblock", DrafterConfig.defaults()))
                    .hasMessageContaining("Optimum").hasMessageContaining("export-hf.py");
        }
    }

    @Test
    void aModelWithoutDrafterRefusesDrafterStrategiesSayingHowToTrainOne() {
        try (ModelStack stack = ModelStack.load(FIXTURES.resolve("qwen2-tied"), ExecutionDevice.CPU, 2)) {
            assertThat(stack.hasDrafter()).isFalse();
            for (String s : new String[] {"specblock", "eagle", "hybrid", "specblock-static"}) {
                assertThatThrownBy(() -> stack.strategy(s, DrafterConfig.defaults()))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("has no drafter")
                        .hasMessageContaining("models/train-drafter.sh --models");
            }
            GenerationResult none = generate(stack, "none", PROMPTS[0]);
            assertThat(generate(stack, "suffix", PROMPTS[0]).tokens()).isEqualTo(none.tokens());
        }
    }

    @Test
    void anImportWithoutAGraphNamesWhatIsMissingAndWritesNothing() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("not-optimum"));
        Files.copy(FIXTURES.resolve("llama-gqa-optimum/config.json"), src.resolve("config.json"));
        Path out = tmp.resolve("out");
        assertThatThrownBy(() -> OptimumImport.run(src, out)).isInstanceOf(ManifestException.class)
                .hasMessageContaining("model.onnx").hasMessageContaining("text-generation-with-past");
        assertThat(out).doesNotExist();
        try (var left = Files.list(tmp)) {
            assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".import-optimum-"));
        }
    }

    @Test
    void aTreeContractGraphIsNotOptimumOutputAndIsRefusedNamingItsMask() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("tree-as-optimum"));
        try (var files = Files.list(FIXTURES.resolve("llama-gqa-optimum"))) {
            for (Path f : files.toList()) {
                if (!f.getFileName().toString().endsWith(".onnx") && !f.getFileName().toString().endsWith(".onnx_data")) {
                    Files.copy(f, src.resolve(f.getFileName()));
                }
            }
        }
        Files.copy(FIXTURES.resolve("llama-gqa/target.onnx"), src.resolve("model.onnx"));
        Path out = tmp.resolve("out");

        assertThatThrownBy(() -> OptimumImport.run(src, out)).isInstanceOf(ManifestException.class)
                .hasMessageContaining("attention_mask").hasMessageContaining("tree contract");
        assertThat(out).doesNotExist();
    }

    static GenerationResult generate(ModelStack stack, String strategy, int[] prompt) {
        Drafter d = stack.strategy(strategy, DrafterConfig.defaults());
        return stack.decoder().generate(GenerationRequest.greedy(prompt, 24, BUDGET), d, RoundListener.NONE, () -> false);
    }
}
