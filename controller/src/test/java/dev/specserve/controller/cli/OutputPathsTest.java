package dev.specserve.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.FileNotFoundException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An output path that cannot be written is refused before the run (models not even loaded: --models names no
 * directory here), in one line naming the flag and the path; an input path that is a directory is called one.
 */
class OutputPathsTest {
    @TempDir
    Path tmp;

    private String missingDir() {
        return tmp.resolve("no-such-dir").resolve("out.json").toString();
    }

    @Test
    void bench_json_in_a_missing_directory_is_refused_before_the_run() {
        assertThat(CliErrors.of("bench", "--json", missingDir(), "--models", "/does/not/exist"))
                .contains("--json", missingDir(), "does not exist").doesNotContain("Exception", "\tat ");
    }

    @Test
    void load_json_in_a_missing_directory_is_refused_before_any_request() {
        assertThat(CliErrors.of("load", "--json", missingDir(), "--url", "http://127.0.0.1:1", "--requests", "1"))
                .contains("--json", "does not exist").doesNotContain("cannot connect");
    }

    @Test
    void adapt_bench_and_adapter_sweep_json_are_checked_before_models_load() {
        assertThat(CliErrors.of("adapt-bench", "--json", missingDir(), "--models", "/does/not/exist"))
                .contains("--json", "does not exist");
        assertThat(CliErrors.of("adapter-sweep", "--json", tmp.toString(), "--models", "/does/not/exist"))
                .contains("--json " + tmp + " is a directory");
    }

    @Test
    void tokenize_out_that_cannot_be_written_and_an_input_that_is_a_directory_are_named_plainly() throws Exception {
        Path text = Files.writeString(tmp.resolve("a.py"), "x = 1\n");

        OwnModelCliTest.Run missing = OwnModelCliTest.cli("tokenize", "--out", missingDir(), text.toString());
        OwnModelCliTest.Run dirOut = OwnModelCliTest.cli("tokenize", "--out", tmp.toString(), text.toString());
        OwnModelCliTest.Run dirIn = OwnModelCliTest.cli("tokenize", "--out", tmp.resolve("x.bin").toString(),
                tmp.toString());

        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("--out", "does not exist").doesNotContain("Exception");
        assertThat(dirOut.err()).contains("--out " + tmp + " is a directory").doesNotContain("Exception");
        assertThat(dirIn.err()).contains(tmp + " is a directory, not a file").doesNotContain("no such file");
    }

    @Test
    void generate_json_schema_that_is_a_directory_is_not_called_missing() {
        assertThat(CliErrors.of("generate", "--prompt", "x", "--json-schema", tmp.toString()))
                .contains("--json-schema " + tmp + " is a directory").doesNotContain("no such file");
    }

    @Test
    void io_errors_on_paths_read_as_one_line_naming_the_path_not_an_exception_class() {
        assertThat(Main.fileProblem(new NoSuchFileException("/x/y.json"))).isEqualTo("no such file or directory: /x/y.json");
        assertThat(Main.fileProblem(new FileSystemException("adir", null, "Is a directory")))
                .isEqualTo("adir: Is a directory");
        assertThat(Main.fileProblem(new FileNotFoundException("/x/y.json (No such file or directory)")))
                .isEqualTo("cannot open /x/y.json (No such file or directory)");
    }
}
