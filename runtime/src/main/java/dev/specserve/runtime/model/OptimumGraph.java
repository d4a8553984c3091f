package dev.specserve.runtime.model;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.specserve.runtime.kv.KvCache;
import dev.specserve.runtime.manifest.ModelManifest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * One forward of a stock {@code optimum-cli export onnx --task text-generation-with-past} graph: int64
 * {@code attention_mask [1, P+S]}, BHSD {@code past_key_values.*} in, past+new {@code present.*} out, and
 * optionally {@code position_ids} and the merged decoder's {@code use_cache_branch}. The runtime's cache keeps
 * its rows head-major (BHSD), so the graph reads the cache's whole region in place, the rows after the live ones
 * masked out by zeros in the 2-D mask; of each present only the S new rows are kept, so the rest of the runtime
 * sees the tree contract's output. A 2-D mask is causal, so only a
 * causal mask (plain decoding, or one chain of drafts) can be run; anything else is refused.
 */
final class OptimumGraph {
    private final OrtEnvironment env;
    private final OrtSession session;
    private final ModelManifest.TargetInfo info;
    private final KvNames names;
    private final boolean positionIds;
    private final boolean cacheBranch;

    OptimumGraph(OrtEnvironment env, OrtSession session, ModelManifest.TargetInfo info, KvNames names) {
        this.env = env;
        this.session = session;
        this.info = info;
        this.names = names;
        this.positionIds = info.inputs().stream().anyMatch(t -> t.name().equals("position_ids"));
        this.cacheBranch = info.inputs().stream().anyMatch(t -> t.name().equals("use_cache_branch"));
    }

    TargetOutput forward(int[] tokens, int[] positions, float[] mask, KvCache cache) {
        int s = tokens.length;
        int p = cache.length();
        if (!Arrays.equals(mask, Masks.causal(s, p))) {
            throw new IllegalArgumentException("this model uses the Optimum contract, whose 2-D attention mask can only "
                    + "verify one causal chain of drafts, not a tree (S=" + s + ", past=" + p + ")");
        }
        int kvh = info.kvHeads();
        int d = info.headDim();
        // the merged decoder's no-cache branch (first call) ignores the past, as optimum feeds it: one dummy row
        boolean dummyPast = cacheBranch && p == 0;
        // the past is the cache's whole BHSD region, read in place: its rows after the live ones are masked out
        int rows = dummyPast ? 0 : cache.pastRows();
        long[] attend = new long[rows + s];
        Arrays.fill(attend, 0, p, 1L);
        Arrays.fill(attend, rows, rows + s, 1L);
        Map<String, OnnxTensor> inputs = new HashMap<>();
        OnnxTensor[] past = null;
        try {
            inputs.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(toLongs(tokens)), new long[] {1, s}));
            inputs.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(attend), new long[] {1, rows + s}));
            if (positionIds) {
                inputs.put("position_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(toLongs(positions)), new long[] {1, s}));
            }
            if (cacheBranch) {
                inputs.put("use_cache_branch", OnnxTensor.createTensor(env, new boolean[] {p > 0}));
            }
            past = dummyPast ? null : cache.pastTensors(env);
            for (int i = 0; i < names.past().length; i++) {
                inputs.put(names.past()[i], dummyPast
                        ? OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[kvh * d]), new long[] {1, kvh, 1, d})
                        : past[i]);
            }
            long t0 = System.nanoTime();
            try (OrtSession.Result r = session.run(inputs)) {
                long runNanos = System.nanoTime() - t0;
                float[] logits = floats(r, "logits", s * info.vocab());
                FloatBuffer[] present = new FloatBuffer[names.present().length];
                for (int i = 0; i < present.length; i++) {
                    float[] full = floats(r, names.present()[i], kvh * (rows + s) * d);
                    present[i] = newRowsSequenceMajor(full, kvh, rows, s, d);
                }
                // no hidden states in this contract: zeros, which only drafter models would read (and they are refused)
                return new TargetOutput(s, info.vocab(), info.dim(), logits, new float[s * info.dim()], present, runNanos);
            }
        } catch (OrtException e) {
            throw new IllegalStateException("target forward failed (S=" + s + ", past=" + p + "): " + e.getMessage(), e);
        } finally {
            inputs.values().forEach(OnnxTensor::close); // the past tensors among them
        }
    }

    /** Rows p..p+s-1 of a [kvh][p+s][d] present, as [s][kvh][d]. */
    static FloatBuffer newRowsSequenceMajor(float[] full, int kvh, int p, int s, int d) {
        FloatBuffer out = ByteBuffer.allocateDirect(s * kvh * d * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
        for (int j = 0; j < s; j++) {
            for (int h = 0; h < kvh; h++) {
                out.put(full, (h * (p + s) + p + j) * d, d);
            }
        }
        return out.flip();
    }

    static float[] floats(OrtSession.Result r, String name, int expected) {
        OnnxValue v = r.get(name).orElseThrow(() -> new IllegalStateException("model returned no '" + name + "'"));
        FloatBuffer fb = ((OnnxTensor) v).getFloatBuffer();
        if (fb.remaining() != expected) {
            throw new IllegalStateException("'" + name + "' has " + fb.remaining() + " values, expected " + expected);
        }
        if (fb.hasArray() && fb.arrayOffset() == 0 && fb.position() == 0 && fb.array().length == expected) {
            return fb.array(); // ORT's own copy of the output: no second one
        }
        float[] out = new float[expected];
        fb.get(out);
        return out;
    }

    static long[] toLongs(int[] a) {
        long[] l = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            l[i] = a[i];
        }
        return l;
    }
}
