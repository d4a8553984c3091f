package dev.specserve.runtime.manifest;

import dev.specserve.runtime.kv.KvLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The validated contents of {@code manifest.json}: where each model file is, its architecture and its I/O.
 * Only what the runtime relies on is typed; the rest (training provenance, losses) stays in {@link #raw()}.
 * The drafter, its LM-head copy, the goldens and the lookup corpus are optional: a model exported from a
 * checkpoint has none until a drafter is trained for it ({@code null} then).
 *
 * @param lookupCorpus the target's own continuations as little-endian uint32 ids, each document ended by EOS, for
 *                     lookup drafting ({@code lookup.file}), or null
 */
public record ModelManifest(
        Path directory,
        String name,
        TokenizerInfo tokenizer,
        TargetInfo target,
        DrafterInfo drafter,
        Path lmHead,
        Path golden,
        Path lookupCorpus,
        Map<String, Object> raw) {

    /** The smallest context a model is served with. */
    public static final int MIN_CONTEXT = 16;

    public boolean hasDrafter() {
        return drafter != null;
    }

    /**
     * This manifest serving at most {@code maxModelLen} tokens of context (vLLM's {@code max_model_len}): a model
     * trained for 32k or 128k positions would otherwise have its whole context reserved per batch slot. 0 keeps
     * the model's own; more than the model's own is refused.
     */
    public ModelManifest withMaxModelLen(int maxModelLen) {
        if (maxModelLen < 0 || maxModelLen > 0 && maxModelLen < MIN_CONTEXT) {
            throw new ManifestException("max_model_len must be 0 (the model's context_length) or at least "
                    + MIN_CONTEXT + ", got " + maxModelLen);
        }
        if (maxModelLen == 0 || maxModelLen == target.contextLength()) {
            return this;
        }
        if (maxModelLen > target.contextLength()) {
            throw new ManifestException("max_model_len " + maxModelLen + " exceeds model '" + name
                    + "''s context_length " + target.contextLength());
        }
        TargetInfo t = target;
        return new ModelManifest(directory, name, tokenizer, new TargetInfo(t.file(), maxModelLen, t.vocab(), t.dim(),
                t.layers(), t.heads(), t.kvHeads(), t.headDim(), t.contract(), t.kvLayout(), t.inputs(), t.outputs(),
                t.ragged()),
                drafter, lmHead, golden, lookupCorpus, raw);
    }

    /** @param eosIds every id that ends generation; {@code eosId} is the first */
    public record TokenizerInfo(Path file, int vocabSize, int eosId, String eosToken, int[] eosIds) {}

    /**
     * @param kvHeads  key/value heads (GQA), so a cache row is kvHeads x headDim floats
     * @param contract {@link Contract#TREE} (specserve's own) or {@link Contract#OPTIMUM}
     * @param kvLayout how the tree contract's past inputs are laid out ({@code target.past_layout}, default BSHD)
     * @param ragged   the same weights with ragged attention ({@code target.ragged.file}: GroupQueryAttention over each
     *                 sequence's own rows, new rows written into the past in place), or null
     */
    public record TargetInfo(Path file, int contextLength, int vocab, int dim, int layers, int heads, int kvHeads,
                             int headDim, Contract contract, KvLayout kvLayout, List<TensorSpec> inputs,
                             List<TensorSpec> outputs, Path ragged) {
        /** Floats in one cache row of one key or value tensor. */
        public int kvRowFloats() {
            return kvHeads * headDim;
        }
    }

    /** How the target graph takes its cache and mask. */
    public enum Contract {
        /** Additive float mask [B,1,S,P+S] (trees), BSHD or BHSD past, new rows only as present (BSHD), last_hidden_state. */
        TREE,
        /** optimum-cli text-generation-with-past: int64 mask [B,P+S] (causal only), BHSD past, past+new present. */
        OPTIMUM
    }

    /**
     * {@code vocabulary} maps the drafter's output ids (its top-k) to target tokens; {@code int8File}, or null, is
     * the same drafter with int8 weights for the CPU ({@link DrafterPrecision}).
     */
    public record DrafterInfo(Path file, int blockSize, int topk, int adapterRank, int dim, int layers, int heads,
                              int headDim, int maxPositions, List<TensorSpec> inputs, List<TensorSpec> outputs,
                              DraftVocabulary vocabulary, Path int8File) {

        /** The same contract served from another file (which has no int8 variant of its own). */
        public DrafterInfo withFile(Path other) {
            return new DrafterInfo(other, blockSize, topk, adapterRank, dim, layers, heads, headDim, maxPositions,
                    inputs, outputs, vocabulary, null);
        }
    }
}
