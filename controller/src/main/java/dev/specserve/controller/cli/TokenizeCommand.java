package dev.specserve.controller.cli;

import dev.specserve.runtime.SpecserveHome;
import dev.specserve.runtime.manifest.ManifestException;
import dev.specserve.runtime.manifest.ModelManifest;
import dev.specserve.runtime.manifest.ManifestLoader;
import dev.specserve.runtime.tokenizer.TextTokenizer;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Tokenizes corpus files with a model's own {@code tokenizer.json} (any kind the HF tokenizers library reads),
 * for the Python toolchain, which can itself only run plain byte-level BPE: {@code models/train-drafter.sh}
 * uses it for Llama 3 / Qwen2 split regexes and SentencePiece tokenizers.
 */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Write the token ids of FILE... (each followed by the model's EOS id, as the drafter's "
                + "training corpus is packed) to OUT as little-endian uint32.")
final class TokenizeCommand implements Callable<Integer> {
    @Option(names = "--models", paramLabel = "DIR",
            description = "Model directory with manifest.json (default: SPECSERVE_MODELS, else the bundled demo "
                    + "pair, models/demo).")
    Path models;

    @Option(names = "--out", required = true, paramLabel = "OUT", description = "File to write the ids to.")
    Path out;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "UTF-8 text files (invalid bytes are replaced).")
    List<Path> files;

    @Override
    public Integer call() {
        String fromEnv = System.getenv("SPECSERVE_MODELS"); // empty is unset, as serve reads it
        Path dir = models != null ? models : fromEnv != null && !fromEnv.isBlank() ? Path.of(fromEnv.trim())
                : SpecserveHome.demoModels();
        ModelManifest manifest;
        try {
            manifest = ManifestLoader.load(dir);
        } catch (ManifestException e) {
            System.err.println("tokenize: " + e.getMessage());
            return 2;
        }
        for (Path f : files) { // every input first: a missing one must not leave a truncated OUT behind
            if (!Files.isRegularFile(f)) {
                System.err.println("tokenize: " + (Files.isDirectory(f) ? f + " is a directory, not a file"
                        : "no such file: " + f));
                return 2;
            }
        }
        try {
            OutputFiles.checkWritable("--out", out);
        } catch (IllegalArgumentException e) {
            System.err.println("tokenize: " + e.getMessage());
            return 2;
        }
        long tokens = 0;
        try (TextTokenizer tokenizer = TextTokenizer.load(manifest.tokenizer().file(), manifest.tokenizer().eosIds());
             DataOutputStream data = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(out)))) {
            for (Path f : files) {
                int[] ids = tokenizer.encode(new String(Files.readAllBytes(f), StandardCharsets.UTF_8));
                for (int id : ids) {
                    writeUint32(data, id);
                }
                writeUint32(data, tokenizer.eosId());
                tokens += ids.length + 1;
            }
        } catch (IOException e) {
            System.err.println("tokenize: " + (e instanceof java.nio.file.FileSystemException
                    || e instanceof java.io.FileNotFoundException ? Main.fileProblem(e) : e.toString()));
            try {
                Files.deleteIfExists(out); // a partial corpus would train a drafter on part of the text
            } catch (IOException ignored) {
                // reported above
            }
            return 2;
        }
        System.err.printf("tokenize: %d files, %,d tokens -> %s%n", files.size(), tokens, out);
        return 0;
    }

    /** One token id as the toolchain and the lookup corpus read them: little-endian uint32. */
    static void writeUint32(OutputStream o, int v) throws IOException {
        o.write(v);
        o.write(v >>> 8);
        o.write(v >>> 16);
        o.write(v >>> 24);
    }
}
