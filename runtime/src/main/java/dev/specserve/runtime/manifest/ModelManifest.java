package dev.specserve.runtime.manifest;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The validated contents of {@code manifest.json}: where each model file is, its architecture and its I/O.
 * Only what the runtime relies on is typed; the rest (training provenance, losses) stays in {@link #raw()}.
 */
public record ModelManifest(
        Path directory,
        String name,
        TokenizerInfo tokenizer,
        TargetInfo target,
        DrafterInfo drafter,
        Path lmHead,
        Path golden,
        Map<String, Object> raw) {

    public record TokenizerInfo(Path file, int vocabSize, int eosId, String eosToken) {}

    public record TargetInfo(Path file, int contextLength, int vocab, int dim, int layers, int heads, int headDim,
                             List<TensorSpec> inputs, List<TensorSpec> outputs) {}

    /** {@code vocabulary} maps the drafter's output ids (its top-k) to target tokens. */
    public record DrafterInfo(Path file, int blockSize, int topk, int adapterRank, int dim, int layers, int heads,
                              int headDim, int maxPositions, List<TensorSpec> inputs, List<TensorSpec> outputs,
                              DraftVocabulary vocabulary) {}
}
