package dev.specserve.drafters.update;

import dev.specserve.runtime.manifest.DraftVocabulary;
import dev.specserve.runtime.manifest.ModelManifest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The frozen LM head the drafter's adapted hidden state is projected with: [vocab][dim], one row per draft id.
 * For a drafter with a reduced vocabulary the rows are the tied target embedding's rows of its draft-to-target
 * map, so adapter training and shadow scoring work in the space the drafter actually proposes from.
 */
public final class LmHead {
    private final int vocab;
    private final int dim;
    private final float[] weights;
    private final DraftVocabulary vocabulary;

    public LmHead(int vocab, int dim, float[] weights) {
        this(vocab, dim, weights, DraftVocabulary.identity(vocab));
    }

    private LmHead(int vocab, int dim, float[] weights, DraftVocabulary vocabulary) {
        if (weights.length != vocab * dim) {
            throw new IllegalArgumentException("LM head must have " + vocab + "x" + dim + " values, got " + weights.length);
        }
        this.vocab = vocab;
        this.dim = dim;
        this.weights = weights;
        this.vocabulary = vocabulary;
    }

    /** The head the manifest's drafter projects with: the bundled full head restricted to its draft vocabulary. */
    public static LmHead forDrafter(ModelManifest m) {
        return readFp16(m.lmHead(), m.target().vocab(), m.drafter().dim()).restrictedTo(m.drafter().vocabulary());
    }

    /** The rows of a draft vocabulary (draft id i = row of target token d2t[i]). */
    public LmHead restrictedTo(DraftVocabulary draft) {
        if (draft.targetVocab() != vocab || !vocabulary.isIdentity()) {
            throw new IllegalArgumentException("a draft vocabulary over " + draft.targetVocab()
                    + " target tokens cannot restrict this " + vocab + "-row head");
        }
        float[] rows = new float[draft.size() * dim];
        for (int d = 0; d < draft.size(); d++) {
            System.arraycopy(weights, draft.toTarget(d) * dim, rows, d * dim, dim);
        }
        return new LmHead(draft.size(), dim, rows, draft);
    }

    /** The row (draft id) of a target token, or -1 when the drafter can never propose it. */
    public int rowOf(int targetToken) {
        return vocabulary.toDraft(targetToken);
    }

    /** Reads the little-endian fp16 file the model build writes ({@code lm_head.f16}). */
    public static LmHead readFp16(Path file, int vocab, int dim) {
        try {
            byte[] bytes = Files.readAllBytes(file);
            if (bytes.length != 2L * vocab * dim) {
                throw new IllegalArgumentException(file + " has " + bytes.length + " bytes, expected " + 2L * vocab * dim
                        + " for a " + vocab + "x" + dim + " fp16 matrix");
            }
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            float[] w = new float[vocab * dim];
            for (int i = 0; i < w.length; i++) {
                w[i] = halfToFloat(b.getShort());
            }
            return new LmHead(vocab, dim, w);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read LM head " + file + ": " + e.getMessage(), e);
        }
    }

    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits >>> 15) << 31;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0) {
            return Float.intBitsToFloat(sign) + (sign != 0 ? -1 : 1) * mant * 0x1p-24f;
        }
        if (exp == 31) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }

    public int vocab() {
        return vocab;
    }

    public int dim() {
        return dim;
    }

    /** logits = W a */
    public void project(float[] a, float[] logits) {
        for (int v = 0; v < vocab; v++) {
            float s = 0;
            int base = v * dim;
            for (int j = 0; j < dim; j++) {
                s += weights[base + j] * a[j];
            }
            logits[v] = s;
        }
    }

    /** out += W^T g */
    void backProject(float[] g, float[] out) {
        for (int v = 0; v < vocab; v++) {
            float gv = g[v];
            if (gv == 0) {
                continue;
            }
            int base = v * dim;
            for (int j = 0; j < dim; j++) {
                out[j] += weights[base + j] * gv;
            }
        }
    }
}
