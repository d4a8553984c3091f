package dev.specserve.controller.cli;

import dev.specserve.runtime.manifest.ModelManifest;
import dev.specserve.runtime.manifest.OptimumImport;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "import-optimum", mixinStandardHelpOptions = true,
        description = "Bring in an `optimum-cli export onnx --task text-generation-with-past` directory: copies "
                + "model.onnx (or decoder_model_merged.onnx) and the tokenizer files unchanged into OUT and writes "
                + "a manifest, so `serve --models OUT` serves it with none and chain speculation (ngram, suffix, "
                + "auto); tree strategies need models/export-hf.py.")
final class ImportOptimumCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "The Optimum export directory.")
    Path source;

    @Option(names = "--out", required = true, paramLabel = "OUT", description = "New model directory (must not exist or be empty).")
    Path out;

    @Override
    public Integer call() {
        long t0 = System.nanoTime();
        System.err.println("import-optimum: reading " + source + " (opens the graph to read its inputs and outputs)");
        Path dir = OptimumImport.run(source, out);
        ModelManifest.TargetInfo t = dev.specserve.runtime.manifest.ManifestLoader.load(dir).target();
        System.out.printf("imported %s -> %s: %s, %d layers, %d/%d kv heads x %d, vocab %d, context %d (%.1f s)%n",
                source, dir, t.file().getFileName(), t.layers(), t.heads(), t.kvHeads(), t.headDim(), t.vocab(),
                t.contextLength(), (System.nanoTime() - t0) / 1e9);
        System.out.println("serve it: bin/specserve serve --models " + dir);
        return 0;
    }
}
