package dev.specserve.controller.cli;

import static dev.specserve.controller.cli.OwnModelCliTest.cli;
import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.runtime.SpecserveHome;
import dev.specserve.runtime.manifest.ManifestLoader;
import dev.specserve.runtime.manifest.ModelManifest;
import dev.specserve.runtime.tokenizer.TextTokenizer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `tokenize` gives the Python toolchain the runtime's own token ids for tokenizers it cannot run itself. */
class TokenizeCommandTest {
    @TempDir
    Path tmp;

    @Test
    void writesEachFilesIdsFollowedByEosAsLittleEndianUint32() throws Exception {
        Path a = Files.writeString(tmp.resolve("a.py"), "def add(a, b):\n    return a + b\n");
        Path b = Files.writeString(tmp.resolve("b.txt"), "naïve café 🚀");
        Path out = tmp.resolve("ids.u32");

        OwnModelCliTest.Run run = cli("tokenize", "--out", out.toString(), a.toString(), b.toString());

        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.err()).contains("2 files");
        ModelManifest m = ManifestLoader.load(SpecserveHome.demoModels());
        List<Integer> expected = new ArrayList<>();
        try (TextTokenizer tok = TextTokenizer.load(m.tokenizer().file(), m.tokenizer().eosIds())) {
            for (Path f : List.of(a, b)) {
                for (int id : tok.encode(Files.readString(f))) {
                    expected.add(id);
                }
                expected.add(tok.eosId());
            }
        }
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(out)).order(ByteOrder.LITTLE_ENDIAN);
        List<Integer> written = new ArrayList<>();
        while (bytes.hasRemaining()) {
            written.add(bytes.getInt());
        }
        assertThat(written).isEqualTo(expected);
    }

    /** An @LIST names one FILE per line, as the help says: a path with spaces is one path (it was split). */
    @Test
    void anAtListNamesOneFilePerLineSpacesIncluded() throws Exception {
        Path a = Files.writeString(tmp.resolve("my file.py"), "def add(a, b):\n    return a + b\n");
        Path b = Files.writeString(tmp.resolve("b.txt"), "x = 1\n");
        Path list = Files.writeString(tmp.resolve("files.txt"), a + "\n" + b + "\n");

        OwnModelCliTest.Run run = cli("tokenize", "--out", tmp.resolve("ids.u32").toString(), "@" + list);

        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.err()).contains("2 files");
    }

    @Test
    void aMissingInputIsNamedAndLeavesNoTruncatedOutput() throws Exception {
        Path a = Files.writeString(tmp.resolve("present.py"), "x = 1\n");
        Path out = tmp.resolve("partial.u32");

        OwnModelCliTest.Run run = cli("tokenize", "--out", out.toString(), a.toString(),
                tmp.resolve("missing.txt").toString());

        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("no such file", "missing.txt");
        assertThat(out).doesNotExist();
    }

    @Test
    void aMissingModelDirectoryIsRefusedNamingIt() {
        OwnModelCliTest.Run run = cli("tokenize", "--models", tmp.resolve("nowhere").toString(), "--out",
                tmp.resolve("x").toString(), "a.txt");

        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("tokenize:", "nowhere");
        assertThat(cli("tokenize", "--help").out()).contains("--out", "uint32");
    }
}
