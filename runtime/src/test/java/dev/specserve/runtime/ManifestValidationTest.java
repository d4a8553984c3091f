package dev.specserve.runtime;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.specserve.runtime.manifest.ManifestException;
import dev.specserve.runtime.manifest.ManifestLoader;
import dev.specserve.runtime.manifest.ModelManifest;
import dev.specserve.runtime.model.TargetModel;
import dev.specserve.runtime.ort.ExecutionDevice;
import dev.specserve.runtime.ort.SessionFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestValidationTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void aMissingManifestSaysWhereItLookedAndHowToBuildOne() {
        assertThatThrownBy(() -> ManifestLoader.load(dir))
                .isInstanceOf(ManifestException.class)
                .hasMessageContaining("manifest not found")
                .hasMessageContaining("build-demo.sh");
    }

    @Test
    void aHuggingFaceCheckpointOrOptimumExportIsToldHowToBecomeAModelDirectory() throws IOException {
        Files.writeString(dir.resolve("config.json"), "{\"architectures\": [\"LlamaForCausalLM\"]}");
        assertThatThrownBy(() -> ManifestLoader.load(dir)).hasMessageContaining("Hugging Face checkpoint")
                .hasMessageContaining("models/export-hf.py --checkpoint " + dir.toAbsolutePath());

        Files.writeString(dir.resolve("model.onnx"), "");
        assertThatThrownBy(() -> ManifestLoader.load(dir)).hasMessageContaining("import-optimum " + dir.toAbsolutePath());
    }

    @Test
    void aMalformedTokenizerFileIsNamedWithWhatIsWrong() throws IOException {
        Path broken = dir.resolve("tokenizer.json");
        String whole = Files.readString(TestModels.dir().resolve("tokenizer.json"));
        Files.writeString(broken, whole.substring(0, 3000));

        assertThatThrownBy(() -> dev.specserve.runtime.tokenizer.TextTokenizer.load(broken, 0))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot load tokenizer " + broken).hasMessageContaining("EOF");
    }

    @Test
    void aManifestOfAnotherFormatIsRefusedNamingIt() throws IOException {
        copyModels(m -> m.put("format", "specserve-manifest/9"));

        assertThatThrownBy(() -> ManifestLoader.load(dir)).hasMessageContaining("format 'specserve-manifest/9'")
                .hasMessageContaining(ManifestLoader.FORMAT);
    }

    @Test
    void aMissingModelFileIsNamed() throws IOException {
        copyModels(m -> {});
        Files.delete(dir.resolve("drafter.onnx"));

        assertThatThrownBy(() -> ManifestLoader.load(dir))
                .hasMessageContaining("'drafter.onnx'").hasMessageContaining("does not exist");
    }

    @Test
    void aFileWhoseChecksumDiffersIsRejected() throws IOException {
        copyModels(m -> ((ObjectNode) m.get("sha256")).put("tokenizer.json", "00".repeat(32)));

        assertThatThrownBy(() -> ManifestLoader.load(dir))
                .hasMessageContaining("sha256 mismatch for 'tokenizer.json'");
    }

    @Test
    void everyFileWithARecordedChecksumIsVerifiedNotOnlyTheOnesTheRuntimeOpens() throws IOException {
        copyModels(m -> ((ObjectNode) m.get("sha256")).put("model_card.extra", "00".repeat(32)));
        Files.writeString(dir.resolve("model_card.extra"), "weights the graph would read as external data");

        assertThatThrownBy(() -> ManifestLoader.load(dir)).hasMessageContaining("sha256 mismatch for 'model_card.extra'");
        Files.delete(dir.resolve("model_card.extra"));
        assertThatThrownBy(() -> ManifestLoader.load(dir)).hasMessageContaining("'model_card.extra'")
                .hasMessageContaining("does not exist");
    }

    @Test
    void anEosIdOutsideTheVocabularyIsRefusedSinceGenerationWouldNeverStopOnIt() throws IOException {
        copyModels(m -> ((ObjectNode) m.get("tokenizer")).put("eos_id", 99_999));

        assertThatThrownBy(() -> ManifestLoader.load(dir)).hasMessageContaining("EOS id [99999]")
                .hasMessageContaining("outside the vocabulary");
    }

    @Test
    void aContextTooShortToServeIsNamed() throws IOException {
        copyModels(m -> ((ObjectNode) m.get("target")).put("context_length", 4));

        assertThatThrownBy(() -> ManifestLoader.load(dir)).hasMessageContaining("target.context_length")
                .hasMessageContaining("got 4");
    }

    @Test
    void aTokenizerWithIdsBeyondTheModelsVocabularyIsAnotherModelsTokenizer() throws IOException {
        copyModels(m -> {
            ((ObjectNode) m.get("tokenizer")).put("vocab_size", 1000);
            ((ObjectNode) m.get("target").get("config")).put("vocab", 1000);
        });

        assertThatThrownBy(() -> ManifestLoader.load(dir)).hasMessageContaining("beyond tokenizer.vocab_size 1000");
    }

    @Test
    void aMissingFieldIsNamedWithItsPath() throws IOException {
        copyModels(m -> ((ObjectNode) m.get("target")).remove("context_length"));

        assertThatThrownBy(() -> ManifestLoader.load(dir))
                .hasMessageContaining("'manifest.target.context_length' is missing");
    }

    @Test
    void aFieldOfTheWrongTypeIsNamed() throws IOException {
        copyModels(m -> ((ObjectNode) m.get("drafter")).put("block_size", "four"));

        assertThatThrownBy(() -> ManifestLoader.load(dir))
                .hasMessageContaining("'manifest.drafter.block_size' must be an integer");
    }

    @Test
    void aPastLayoutThatContradictsTheDeclaredPastShapesIsNamed() throws IOException {
        copyModels(m -> ((ObjectNode) m.get("target")).put("past_layout", "bshd"));

        assertThatThrownBy(() -> ManifestLoader.load(dir))
                .hasMessageContaining("'past_key_values.0.key'").hasMessageContaining("past_layout bshd");
    }

    @Test
    void aLayerCountThatDisagreesWithTheDeclaredPastInputsIsNamed() throws IOException {
        copyModels(m -> ((ObjectNode) m.get("target").get("config")).put("layers", 3));

        assertThatThrownBy(() -> ManifestLoader.load(dir)).isInstanceOf(ManifestException.class)
                .hasMessageContaining("target.config.layers is 3").hasMessageContaining("declares 16");
    }

    @Test
    void anUnknownPastLayoutIsNamed() throws IOException {
        copyModels(m -> ((ObjectNode) m.get("target")).put("past_layout", "sbhd"));

        assertThatThrownBy(() -> ManifestLoader.load(dir))
                .hasMessageContaining("target.past_layout").hasMessageContaining("'sbhd'");
    }

    @Test
    void aTensorTheModelDoesNotHaveIsNamed() throws IOException {
        copyModels(m -> {
            ArrayNode inputs = (ArrayNode) m.get("target").get("io").get("inputs");
            ((ObjectNode) inputs.get(0)).put("name", "input_idz");
        });
        ModelManifest manifest = ManifestLoader.load(dir);

        assertThatThrownBy(() -> new TargetModel(new SessionFactory(ExecutionDevice.CPU, 1), manifest.target()))
                .isInstanceOf(ManifestException.class)
                .hasMessageContaining("no input tensor 'input_idz'");
    }

    @Test
    void aTensorWithTheWrongShapeIsNamed() throws IOException {
        copyModels(m -> {
            ArrayNode outputs = (ArrayNode) m.get("target").get("io").get("outputs");
            ArrayNode shape = (ArrayNode) outputs.get(0).get("shape");
            shape.set(2, 999);
        });
        ModelManifest manifest = ManifestLoader.load(dir);

        assertThatThrownBy(() -> new TargetModel(new SessionFactory(ExecutionDevice.CPU, 1), manifest.target()))
                .hasMessageContaining("output 'logits' dimension 2")
                .hasMessageContaining("manifest declares 999");
    }

    private void copyModels(Consumer<ObjectNode> edit) throws IOException {
        Path source = TestModels.dir();
        try (Stream<Path> files = Files.list(source)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(f) && !f.getFileName().toString().equals("manifest.json")) {
                    Files.copy(f, dir.resolve(f.getFileName().toString()));
                }
            }
        }
        ObjectNode manifest = (ObjectNode) JSON.readTree(source.resolve("manifest.json").toFile());
        edit.accept(manifest);
        JSON.writeValue(dir.resolve("manifest.json").toFile(), manifest);
    }
}
