package dev.specserve.controller.cli;

import static dev.specserve.controller.cli.OwnModelCliTest.cli;
import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.drafters.ModelStack;
import dev.specserve.runtime.SpecserveHome;
import dev.specserve.runtime.manifest.DrafterPrecision;
import dev.specserve.runtime.manifest.ManifestLoader;
import dev.specserve.runtime.manifest.ModelManifest;
import dev.specserve.runtime.ort.ExecutionDevice;
import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.Drafter;
import dev.specserve.runtime.spec.GenerationRequest;
import dev.specserve.runtime.spec.RoundListener;
import dev.specserve.runtime.spec.SamplingParams;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `lookup-corpus` writes what the target itself says after snippets of the given text, and refuses bad input. */
class LookupCorpusCommandTest {
    private static final String TEXT = "def add(a, b):\n    return a + b\n\n\nclass Point:\n    def __init__(self, x, y):\n"
            + "        self.x = x\n        self.y = y\n\n    def norm(self):\n        return (self.x ** 2 + self.y ** 2) ** 0.5\n";

    @TempDir
    Path tmp;

    @Test
    void eachDocumentIsASnippetOfTheTextFollowedByThePlainGreedyContinuation() throws Exception {
        Path models = copyDemo();
        Path text = Files.writeString(tmp.resolve("a.py"), TEXT);

        OwnModelCliTest.Run run = cli("lookup-corpus", "--models", models.toString(), "--replace", "--snippets", "3",
                "--snippet-tokens", "8", "--continuation-tokens", "12", text.toString());

        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.err()).contains("3 continuations", "manifest updated");
        ModelManifest manifest = ManifestLoader.load(models); // the new checksum verifies
        assertThat(manifest.lookupCorpus()).isEqualTo(models.resolve("lookup.bin"));
        try (ModelStack stack = ModelStack.load(models, ExecutionDevice.CPU, 1, DrafterPrecision.AUTO)) {
            int eos = stack.tokenizer().eosId();
            List<int[]> docs = documents(models.resolve("lookup.bin"), eos);
            assertThat(docs).hasSize(3);
            List<Integer> ids = Arrays.stream(stack.tokenizer().encode(TEXT)).boxed().toList();
            Drafter none = stack.strategy("none", dev.specserve.drafters.DrafterConfig.defaults());
            for (int[] doc : docs) {
                int[] snippet = Arrays.copyOf(doc, 8);
                assertThat(java.util.Collections.indexOfSubList(ids, Arrays.stream(snippet).boxed().toList()))
                        .as("a window of the text").isNotNegative();
                int[] plain = stack.decoder().generate(new GenerationRequest(snippet, 12, SamplingParams.GREEDY,
                        List.of(), new DraftBudget(0, 0)), none, RoundListener.NONE, () -> false).tokens();
                int n = plain.length;
                while (n > 0 && plain[n - 1] == eos) {
                    n--;
                }
                assertThat(Arrays.copyOfRange(doc, 8, doc.length)).isEqualTo(Arrays.copyOf(plain, n));
            }
        }
    }

    @Test
    void badInputIsNamedAndLeavesTheModelDirectoryAsItWas() throws Exception {
        Path models = copyDemo();
        byte[] manifest = Files.readAllBytes(models.resolve("manifest.json"));
        Path text = Files.writeString(tmp.resolve("a.py"), TEXT);
        Path tiny = Files.writeString(tmp.resolve("tiny.py"), "x = 1\n");

        assertThat(CliErrors.of("lookup-corpus", "--models", models.toString(), tmp.resolve("missing.py").toString()))
                .contains("no such file", "missing.py");
        assertThat(CliErrors.of("lookup-corpus", "--models", models.toString(), "--replace", "--snippet-tokens", "300",
                "--continuation-tokens", "300", text.toString())).contains("below the model's context of 512", "600");
        assertThat(CliErrors.of("lookup-corpus", "--models", models.toString(), "--replace", tiny.toString()))
                .contains("no FILE has 32 tokens");
        assertThat(CliErrors.of("lookup-corpus", "--snippets", "0", text.toString())).contains("--snippets");
        assertThat(Files.readAllBytes(models.resolve("manifest.json"))).isEqualTo(manifest);
        assertThat(models.resolve("lookup.bin.tmp")).doesNotExist();
        assertThat(cli("lookup-corpus", "--help").out()).contains("--snippets", "greedy continuations");
    }

    @Test
    void anExistingCorpusIsKeptUnlessReplaceIsGivenAndTheRefusalNamesTheFileAndTheFlag() throws Exception {
        Path models = copyDemo(); // the demo pair ships a lookup corpus, and --models defaults to it
        byte[] corpus = Files.readAllBytes(models.resolve("lookup.bin"));
        byte[] manifest = Files.readAllBytes(models.resolve("manifest.json"));
        Path text = Files.writeString(tmp.resolve("a.py"), TEXT);

        String err = CliErrors.of("lookup-corpus", "--models", models.toString(), "--snippets", "1",
                "--snippet-tokens", "8", "--continuation-tokens", "2", text.toString());

        assertThat(err).contains("already has a lookup corpus", models.resolve("lookup.bin").toString(), "bytes",
                "--replace").doesNotContain("Exception");
        assertThat(Files.readAllBytes(models.resolve("lookup.bin"))).isEqualTo(corpus);
        assertThat(Files.readAllBytes(models.resolve("manifest.json"))).isEqualTo(manifest);
    }

    @Test
    void aModelDirectoryWithoutACorpusGetsOneWithoutReplace() throws Exception {
        Path models = copyDemo();
        Files.delete(models.resolve("lookup.bin"));
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        var root = (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(models.resolve("manifest.json").toFile());
        root.remove("lookup");
        ((com.fasterxml.jackson.databind.node.ObjectNode) root.get("sha256")).remove("lookup.bin");
        mapper.writeValue(models.resolve("manifest.json").toFile(), root);
        Path text = Files.writeString(tmp.resolve("a.py"), TEXT);

        OwnModelCliTest.Run run = cli("lookup-corpus", "--models", models.toString(), "--snippets", "1",
                "--snippet-tokens", "8", "--continuation-tokens", "2", text.toString());

        assertThat(run.code()).as(run.err()).isZero();
        assertThat(ManifestLoader.load(models).lookupCorpus()).isEqualTo(models.resolve("lookup.bin"));
    }

    private Path copyDemo() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("models"));
        try (Stream<Path> files = Files.list(SpecserveHome.demoModels())) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(f) && !f.getFileName().toString().endsWith(".tmp")) {
                    Files.copy(f, dir.resolve(f.getFileName().toString()));
                }
            }
        }
        return dir;
    }

    private static List<int[]> documents(Path file, int eos) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        List<int[]> docs = new ArrayList<>();
        List<Integer> cur = new ArrayList<>();
        while (b.hasRemaining()) {
            int id = b.getInt();
            if (id == eos) {
                docs.add(cur.stream().mapToInt(Integer::intValue).toArray());
                cur.clear();
            } else {
                cur.add(id);
            }
        }
        return docs;
    }
}
