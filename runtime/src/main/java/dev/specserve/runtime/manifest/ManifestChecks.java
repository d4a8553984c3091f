package dev.specserve.runtime.manifest;

import dev.specserve.runtime.kv.KvLayout;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The checks a manifest passes before any graph opens, so a model that cannot be served is refused naming the
 * field, not at its first forward; and what to run when a directory has no manifest yet.
 */
final class ManifestChecks {
    private ManifestChecks() {}

    /** What turns this directory into a model directory: an HF checkpoint is exported, an Optimum export imported. */
    static String howToMake(Path directory) {
        Path dir = directory.toAbsolutePath();
        if (Files.isRegularFile(directory.resolve("model.onnx")) && Files.isRegularFile(directory.resolve("config.json"))) {
            return "this looks like optimum-cli output: bin/specserve import-optimum " + dir + " --out OUT, then --models OUT";
        }
        if (Files.isRegularFile(directory.resolve("config.json"))) {
            return "this looks like a Hugging Face checkpoint: models/export-hf.py --checkpoint " + dir + " --out OUT, "
                    + "then --models OUT";
        }
        return "build the demo models with models/build-demo.sh, or point --models at a model directory";
    }

    /** Sizes a model cannot be served with are refused here, naming the field, not at the first forward. */
    static void requireSensibleSizes(ModelManifest.TargetInfo t, ModelManifest.TokenizerInfo tok) {
        if (t.contextLength() < ModelManifest.MIN_CONTEXT) {
            throw new ManifestException("manifest: target.context_length must be at least " + ModelManifest.MIN_CONTEXT
                    + ", got " + t.contextLength());
        }
        if (t.vocab() < 2 || t.dim() < 1 || t.layers() < 1 || t.heads() < 1 || t.kvHeads() < 1 || t.headDim() < 1) {
            throw new ManifestException("manifest: target.config sizes must be positive (vocab " + t.vocab() + ", dim "
                    + t.dim() + ", layers " + t.layers() + ", heads " + t.heads() + ", kv_heads " + t.kvHeads()
                    + ", head_dim " + t.headDim() + ")");
        }
        if (java.util.Arrays.stream(tok.eosIds()).noneMatch(eos -> eos >= 0 && eos < tok.vocabSize())) {
            throw new ManifestException("manifest: every tokenizer EOS id " + java.util.Arrays.toString(tok.eosIds())
                    + " is outside the vocabulary [0, " + tok.vocabSize() + "): generation would never stop");
        }
        int highest = dev.specserve.runtime.tokenizer.TextTokenizer.highestId(tok.file());
        if (highest >= tok.vocabSize()) {
            throw new ManifestException("manifest: " + tok.file().getFileName() + " has token id " + highest
                    + ", beyond tokenizer.vocab_size " + tok.vocabSize() + ": it is not this model's tokenizer");
        }
        if (highest + 1 < 0.9 * tok.vocabSize()) { // a padded vocabulary (Qwen2's) leaves a few percent unused
            org.slf4j.LoggerFactory.getLogger(ManifestLoader.class).warn("{} covers token ids 0..{} of the model's {}: "
                    + "if this is the model's own tokenizer, {} ids are padding; if not, output will be wrong "
                    + "(bin/specserve parity --models DIR compares prompts' ids with the reference)",
                    tok.file(), highest, tok.vocabSize(), tok.vocabSize() - highest - 1);
        }
    }

    /**
     * {@code config.layers} sizes the cache the runtime feeds the graph, one key and one value per layer: it must
     * name exactly the past inputs the io declares (and so the graph has), or the first forward fails.
     */
    static void requireLayers(ModelManifest.TargetInfo t) {
        java.util.Set<String> declared = new java.util.TreeSet<>();
        for (TensorSpec in : t.inputs()) {
            if (in.name().startsWith("past_key_values.")) {
                declared.add(in.name());
            }
        }
        java.util.Set<String> expected = new java.util.TreeSet<>();
        for (int i = 0; i < t.layers(); i++) {
            expected.add("past_key_values." + i + ".key");
            expected.add("past_key_values." + i + ".value");
        }
        if (!declared.equals(expected)) {
            throw new ManifestException("manifest: target.config.layers is " + t.layers() + ", so the runtime feeds "
                    + expected.size() + " past inputs (past_key_values.0.key ... past_key_values." + (t.layers() - 1)
                    + ".value), but target.io declares " + declared.size() + (declared.isEmpty() ? ""
                    : " (" + String.join(", ", declared.size() <= 4 ? declared
                    : java.util.List.of(((java.util.TreeSet<String>) declared).first(), "...",
                            ((java.util.TreeSet<String>) declared).last())) + ")")
                    + ": correct layers or the io to match the graph");
        }
    }

    /** A tree target's declared past inputs must put kv_heads where its past_layout says (the graph is checked against them). */
    static void requirePastLayout(ModelManifest.TargetInfo t) {
        if (t.contract() != ModelManifest.Contract.TREE) {
            return;
        }
        int headsAt = t.kvLayout() == KvLayout.BSHD ? 2 : 1;
        for (TensorSpec in : t.inputs()) {
            if (in.name().startsWith("past_key_values.") && (in.shape().size() != 4 || in.fixedDim(headsAt) != t.kvHeads())) {
                throw new ManifestException("manifest: target input '" + in.name() + "' is declared " + in.shape()
                        + " but past_layout " + t.kvLayout().name().toLowerCase() + " puts " + t.kvHeads()
                        + " kv heads at dimension " + headsAt);
            }
        }
    }
}
