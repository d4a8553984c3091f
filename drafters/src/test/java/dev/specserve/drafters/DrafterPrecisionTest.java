package dev.specserve.drafters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.specserve.runtime.manifest.DrafterPrecision;
import dev.specserve.runtime.manifest.ManifestException;
import dev.specserve.runtime.manifest.ManifestLoader;
import dev.specserve.runtime.ort.ExecutionDevice;
import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.GenerationRequest;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.RoundListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The manifest's int8 drafter serves on the CPU by default; either file drafts for exact greedy output. The
 * drafter is known by the file that serves (so a load of the other precision's file is a real load), and its
 * adapters by the full-precision file's, so replicas serving either precision share adapter versions.
 */
class DrafterPrecisionTest {
    static final DraftBudget BUDGET = new DraftBudget(24, 8);

    @TempDir
    Path dir;

    @Test
    void autoServesTheInt8FileOnTheCpuKnownByItsOwnShaWithTheFullPrecisionOneAsAdapterBase() {
        Path int8;
        String fp32Sha;
        try (ModelStack auto = ModelStack.load(Stack.modelDir(), ExecutionDevice.CPU, 2, DrafterPrecision.AUTO)) {
            int8 = auto.manifest().drafter().int8File();
            fp32Sha = ManifestLoader.sha256(auto.manifest().drafter().file());
            assertThat(int8).as("the demo manifest names an int8 drafter").isNotNull();
            assertThat(auto.drafterModel().info().file()).isEqualTo(int8);
            DrafterVersion bundled = auto.versions().current();
            assertThat(bundled.model().fingerprint()).as("the file that serves").isEqualTo(ManifestLoader.sha256(int8));
            assertThat(bundled.model().adapterBase()).isEqualTo(fp32Sha);
            assertThat(bundled.metrics().get("model")).isEqualTo(int8.toString());

            DrafterVersion loaded = auto.loadDrafter(auto.manifest().drafter().file(), fp32Sha);
            assertThat(loaded.model()).as("the fp32 file is really opened").isNotSameAs(bundled.model());
            assertThat(loaded.model().generation()).isEqualTo(2);
            assertThat(loaded.model().fingerprint()).isEqualTo(fp32Sha);
            assertThat(loaded.model().adapterBase()).isEqualTo(fp32Sha);
            loaded.model().closeIfUnused();
        }
        try (ModelStack fp32 = ModelStack.load(Stack.modelDir(), ExecutionDevice.CPU, 2, DrafterPrecision.FP32)) {
            assertThat(fp32.drafterModel().info().file()).isEqualTo(fp32.manifest().drafter().file());
            assertThat(fp32.versions().current().model().fingerprint()).isEqualTo(fp32Sha);
            assertThat(fp32.versions().current().model().adapterBase()).isEqualTo(fp32Sha);
        }
    }

    @Test
    void aDrafterFileLoadedButNeverMadeCurrentIsClosedWhenTheHistoryForgetsIt() {
        try (ModelStack stack = ModelStack.load(Stack.modelDir(), ExecutionDevice.CPU, 2, DrafterPrecision.AUTO)) {
            DrafterVersion loaded = stack.loadDrafter(stack.manifest().drafter().file(),
                    ManifestLoader.sha256(stack.manifest().drafter().file()));
            assertThat(loaded.model().isOpen()).isTrue();
            DrafterVersion bundled = stack.versions().current();

            for (int i = 0; i < 40; i++) { // adapter versions of the current drafter push it out of the history
                stack.versions().create(bundled.adapter(), bundled.id(), java.util.Map.of());
            }

            assertThat(stack.versions().find(loaded.id())).isEmpty();
            assertThat(loaded.model().isOpen()).as("its session closed with it").isFalse();
            assertThat(bundled.model().isOpen()).as("the serving one stays").isTrue();
        }
    }

    @Test
    void greedyOutputIsPlainDecodingsWithEitherDrafterFile() {
        List<String> prompts = GreedyEqualsAutoregressiveTest.PROMPTS;
        try (ModelStack fp32 = ModelStack.load(Stack.modelDir(), ExecutionDevice.CPU, 2, DrafterPrecision.FP32);
             ModelStack int8 = ModelStack.load(Stack.modelDir(), ExecutionDevice.CPU, 2, DrafterPrecision.INT8)) {
            long accepted8 = 0;
            long accepted32 = 0;
            for (String prompt : prompts) {
                int[] ids = fp32.tokenizer().encode(prompt);
                GenerationResult plain = fp32.decoder().generate(GenerationRequest.greedy(ids, 40, BUDGET),
                        fp32.strategy("none", DrafterConfig.expanding()), RoundListener.NONE, () -> false);
                GenerationResult a = fp32.decoder().generate(GenerationRequest.greedy(ids, 40, BUDGET),
                        fp32.strategy("specblock-fixed", DrafterConfig.expanding()), RoundListener.NONE, () -> false);
                GenerationResult b = int8.decoder().generate(GenerationRequest.greedy(ids, 40, BUDGET),
                        int8.strategy("specblock-fixed", DrafterConfig.expanding()), RoundListener.NONE, () -> false);

                assertThat(a.tokens()).as("fp32 drafter, %s", prompt).containsExactly(plain.tokens());
                assertThat(b.tokens()).as("int8 drafter, %s", prompt).containsExactly(plain.tokens());
                accepted32 += a.acceptedDraftTokens();
                accepted8 += b.acceptedDraftTokens();
            }
            assertThat(accepted8).as("drafts the target accepted, int8 vs fp32 (%d)", accepted32)
                    .isGreaterThan(accepted32 * 8 / 10);
        }
    }

    @Test
    void int8WithoutAnInt8FileInTheManifestIsRefusedNamingTheField() throws Exception {
        Path source = Stack.modelDir();
        ObjectMapper json = new ObjectMapper();
        ObjectNode manifest = (ObjectNode) json.readTree(source.resolve("manifest.json").toFile());
        ((ObjectNode) manifest.get("drafter")).remove("int8");
        json.writeValue(dir.resolve("manifest.json").toFile(), manifest);
        try (var files = Files.list(source)) {
            for (Path f : files.filter(f -> !f.getFileName().toString().equals("manifest.json")).toList()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }

        assertThatThrownBy(() -> ModelStack.load(dir, ExecutionDevice.CPU, 1, DrafterPrecision.INT8))
                .isInstanceOf(ManifestException.class).hasMessageContaining("drafter.int8.file");
        try (ModelStack auto = ModelStack.load(dir, ExecutionDevice.CPU, 1, DrafterPrecision.AUTO)) {
            assertThat(auto.drafterModel().info().file().getFileName()).as("auto without an int8 file")
                    .hasToString("drafter.onnx");
        }
        assertThatThrownBy(() -> DrafterPrecision.parse("fp16")).hasMessageContaining("one of auto, fp32, int8");
    }
}
