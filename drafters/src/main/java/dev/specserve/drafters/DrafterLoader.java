package dev.specserve.drafters;

import dev.specserve.runtime.manifest.ManifestException;
import dev.specserve.runtime.manifest.ManifestLoader;
import dev.specserve.runtime.manifest.ModelManifest;
import dev.specserve.runtime.ort.SessionFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens a replacement drafter ONNX file for a full drafter swap: checks its checksum, that its inputs and
 * outputs match the serving drafter's contract (same hidden size, block size, top-k and adapter rank, since
 * the target and the verifier stay the same), and warms it up with one forward whose outputs must be
 * finite. Nothing here touches the version in use; a file that fails any check is never served.
 */
final class DrafterLoader {
    private static final Logger LOG = LoggerFactory.getLogger(DrafterLoader.class);

    private final SessionFactory sessions;
    private final ModelManifest.DrafterInfo contract;

    DrafterLoader(SessionFactory sessions, ModelManifest.DrafterInfo contract) {
        this.sessions = sessions;
        this.contract = contract;
    }

    /** @param adapterBase the {@link DrafterModelHandle#adapterBase} of a file, given its sha256 */
    DrafterModelHandle load(Path file, String expectedSha256, long generation,
                            java.util.function.UnaryOperator<String> adapterBase) {
        long t0 = System.nanoTime();
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("drafter file " + file + " does not exist or is not a regular file");
        }
        String sha = ManifestLoader.sha256(file);
        if (expectedSha256 != null && !expectedSha256.isBlank() && !sha.equalsIgnoreCase(expectedSha256.trim())) {
            // the file's real hash is not put in the message: it may reach a caller who did not know it
            throw new IllegalArgumentException("sha256 mismatch for " + file);
        }
        ModelManifest.DrafterInfo info = contract.withFile(file);
        SpecBlockModel model;
        try {
            model = new SpecBlockModel(sessions, info);
        } catch (ManifestException e) {
            throw new IllegalArgumentException("drafter file " + file + " does not fit the serving drafter: "
                    + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("drafter file " + file + " cannot be opened as an ONNX model: "
                    + e.getMessage(), e);
        }
        try {
            warmUp(model);
        } catch (RuntimeException e) {
            model.close();
            throw new IllegalArgumentException("drafter file " + file + " failed its warm-up forward: "
                    + e.getMessage(), e);
        }
        String source = file.toAbsolutePath() + " (sha256 " + sha.substring(0, 12) + ")";
        LOG.info("loaded drafter generation {} from {} in {} ms", generation, source, (System.nanoTime() - t0) / 1_000_000);
        return new DrafterModelHandle(generation, source, sha, adapterBase.apply(sha), model,
                () -> new SpecBlockModel(sessions, info));
    }

    /** One context pair plus a block of slots; every output must be finite and every token id in the draft vocabulary. */
    private void warmUp(SpecBlockModel model) {
        int h = contract.dim();
        float[] hidden = new float[h];
        for (int i = 0; i < h; i++) {
            hidden[i] = (float) Math.sin(i * 0.37) * 0.5f;
        }
        List<DraftRow> rows = new java.util.ArrayList<>();
        rows.add(new DraftRow(1, hidden, 0, 0, 1, 1, new int[0]));
        for (int k = 1; k < contract.blockSize(); k++) {
            int[] extra = new int[k];
            for (int j = 1; j <= k; j++) {
                extra[j - 1] = j;
            }
            rows.add(new DraftRow(0, hidden, k, k - 1, 1 + k, 1, extra));
        }
        DrafterOutput out = model.forward(rows, model.newCache(rows.size()), Adapter.zero(contract.adapterRank(), h));
        requireFinite("hidden_out", out.hidden());
        requireFinite("topk_logprobs", out.topLogprobs());
        requireFinite("rank_logits", out.rankLogits());
        int draftVocab = contract.vocabulary().size();
        for (long id : out.topIds()) {
            if (id < 0 || id >= draftVocab) {
                throw new IllegalArgumentException("topk_ids holds draft id " + id + ", outside the draft vocabulary of "
                        + draftVocab + " tokens");
            }
        }
    }

    private static void requireFinite(String output, float[] values) {
        for (float v : values) {
            if (!Float.isFinite(v)) {
                throw new IllegalArgumentException(output + " contains a non-finite value (" + v + ")");
            }
        }
    }

}
