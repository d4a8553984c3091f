package dev.specserve.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.specserve.runtime.manifest.ManifestLoader;
import dev.specserve.runtime.manifest.ManifestWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Java tools add files to a model's manifest; the result loads, and the rest of the file is left as written. */
class ManifestWriterTest {
    @TempDir
    Path dir;

    @Test
    void anAddedFileIsRecordedWithItsChecksumAndTheRestOfTheManifestIsUnchanged() throws IOException {
        copyModels();
        List<String> before = Files.readAllLines(dir.resolve("manifest.json"));
        Files.write(dir.resolve("extra.bin"), new byte[] {1, 2, 3, 4});

        ManifestWriter.addFile(dir, "extra", Map.of("file", "extra.bin"), "extra.bin");

        List<String> after = Files.readAllLines(dir.resolve("manifest.json"));
        assertThat(after).containsSubsequence(before.subList(0, 20));
        assertThat(String.join("\n", after)).contains("\"extra\": {\n    \"file\": \"extra.bin\"\n  }")
                .contains("\"extra.bin\": \"9f64a747e1b97f131fabb6b447296c9b6f0201e79fb3c5356e6c77e89b6a806a\"");
        ManifestLoader.load(dir); // every checksum, the new one included, verifies

        Files.write(dir.resolve("extra.bin"), new byte[] {1, 2, 3, 5});
        assertThatThrownBy(() -> ManifestLoader.load(dir)).hasMessageContaining("sha256 mismatch for 'extra.bin'");
    }

    @Test
    void aLookupCorpusWithAnotherChecksumIsRefused() throws IOException {
        copyModels();
        Files.write(dir.resolve("lookup.bin"), new byte[] {1, 0, 0, 0, 0, 0, 0, 0});
        ManifestWriter.addFile(dir, "lookup", Map.of("file", "lookup.bin"), "lookup.bin");
        assertThat(ManifestLoader.load(dir).lookupCorpus()).isEqualTo(dir.resolve("lookup.bin"));

        Files.write(dir.resolve("lookup.bin"), new byte[] {2, 0, 0, 0, 0, 0, 0, 0});

        assertThatThrownBy(() -> ManifestLoader.load(dir)).hasMessageContaining("sha256 mismatch for 'lookup.bin'");
    }

    private void copyModels() throws IOException {
        try (Stream<Path> files = Files.list(TestModels.dir())) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(f)) {
                    Files.copy(f, dir.resolve(f.getFileName().toString()));
                }
            }
        }
    }
}
