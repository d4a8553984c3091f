package dev.specserve.runtime.model;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.specserve.runtime.kv.KvCache;
import dev.specserve.runtime.kv.KvLayout;
import dev.specserve.runtime.kv.KvPool;
import dev.specserve.runtime.manifest.ModelManifest;
import dev.specserve.runtime.ort.InputArena;
import dev.specserve.runtime.ort.OutputArena;
import dev.specserve.runtime.ort.SessionFactory;
import dev.specserve.runtime.ort.SessionValidator;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The target LM session: one forward over S new tokens with explicit positions and an additive mask. */
public final class TargetModel implements AutoCloseable {
    private final OrtEnvironment env;
    private final OrtSession session;
    private final ModelManifest.TargetInfo info;
    private final String[] pastNames;
    private final String[] presentNames;
    private final boolean hasHidden;
    private final OptimumGraph optimum;
    /** Each thread's reusable input buffers and output buffers (ORT pinned outputs). */
    private final ThreadLocal<Arenas> arenas = ThreadLocal.withInitial(() -> new Arenas(new InputArena(), newArena()));

    private record Arenas(InputArena inputs, OutputArena outputs) {}

    public TargetModel(SessionFactory factory, ModelManifest.TargetInfo info) {
        this.env = factory.environment();
        this.info = info;
        this.session = factory.open(info.file());
        SessionValidator.validate("target " + info.file().getFileName(), session, info.inputs(), info.outputs());
        KvNames names = KvNames.forLayers(info.layers());
        pastNames = names.past();
        presentNames = names.present();
        hasHidden = info.outputs().stream().anyMatch(t -> t.name().equals("last_hidden_state"));
        optimum = info.contract() == ModelManifest.Contract.OPTIMUM ? new OptimumGraph(env, session, info, names) : null;
    }

    /** False for the Optimum contract: its 2-D mask verifies one causal chain of drafts, never a tree. */
    public boolean verifiesTrees() {
        return optimum == null;
    }


    public ModelManifest.TargetInfo info() {
        return info;
    }

    public KvCache newCache(int capacity) {
        return KvCache.standalone(layout(), info.layers(), info.kvHeads(), info.headDim(), capacity);
    }

    /** The Optimum contract's caches stay BSHD: {@link OptimumGraph} copies them head-major per call. */
    private KvLayout layout() {
        return optimum == null ? info.kvLayout() : KvLayout.BSHD;
    }

    /** Runs the model on {@code tokens} after the cache's rows, keeping every row's logits; does not modify the cache. */
    public TargetOutput forward(int[] tokens, int[] positions, float[] mask, KvCache cache) {
        return forward(tokens, positions, mask, cache, tokens.length);
    }

    /**
     * Runs the model on {@code tokens} after the cache's rows; does not modify the cache. Only the last
     * {@code logitRows} rows' logits are copied out (a prefill chunk needs only its last).
     */
    public TargetOutput forward(int[] tokens, int[] positions, float[] mask, KvCache cache, int logitRows) {
        int s = tokens.length;
        int p = cache.length();
        if (mask.length != s * (p + s)) {
            throw new IllegalArgumentException("mask has " + mask.length + " entries, expected " + s + "x" + (p + s));
        }
        if (logitRows < 1 || logitRows > s) {
            throw new IllegalArgumentException("logitRows " + logitRows + " outside 1.." + s);
        }
        if (optimum != null) {
            return optimum.forward(tokens, positions, mask, cache);
        }
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            Arenas ar = arenas.get();
            inputs.put("input_ids", ar.inputs().longs(env, "input_ids", tokens, new long[] {1, s}));
            inputs.put("position_ids", ar.inputs().longs(env, "position_ids", positions, new long[] {1, s}));
            int cols = cache.pastRows();
            inputs.put("attention_mask", ar.inputs().floats(env, "attention_mask", Masks.widenPast(mask, s, p, cols),
                    new long[] {1, 1, s, cols + s}));
            OnnxTensor[] past = cache.pastTensors(env);
            for (int i = 0; i < past.length; i++) {
                inputs.put(pastNames[i], past[i]);
            }
            OutputArena out = ar.outputs();
            long runNanos = run(inputs, out, 1, s);
            return new TargetOutput(s, info.vocab(), info.dim(), s - logitRows, out.copy(0, s - logitRows, logitRows),
                    hidden(out, 0, s), presentViews(out, 0, s), runNanos);
        } catch (OrtException e) {
            throw new IllegalStateException("target forward failed (S=" + s + ", past=" + p + "): " + e.getMessage(), e);
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    /** Runs the session with its outputs written into {@code out}'s buffers; returns the nanoseconds inside ORT. */
    private long run(Map<String, OnnxTensor> inputs, OutputArena out, int batch, int seq) throws OrtException {
        Map<String, OnnxTensor> pinned = out.pin(env, batch, seq);
        try {
            long t0 = System.nanoTime();
            session.run(inputs, pinned).close();
            return System.nanoTime() - t0;
        } finally {
            pinned.values().forEach(OnnxTensor::close);
        }
    }

    private float[] hidden(OutputArena out, int fromRow, int rows) {
        return hasHidden ? out.copy(1, fromRow, rows) : new float[rows * info.dim()];
    }

    private FloatBuffer[] presentViews(OutputArena out, int fromRow, int rows) {
        FloatBuffer[] present = new FloatBuffer[presentNames.length];
        int first = hasHidden ? 2 : 1;
        for (int i = 0; i < present.length; i++) {
            present[i] = out.view(first + i, fromRow, rows);
        }
        return present;
    }

    private OutputArena newArena() {
        List<OutputArena.Output> outputs = new ArrayList<>();
        outputs.add(new OutputArena.Output("logits", new long[] {info.vocab()}));
        if (hasHidden) {
            outputs.add(new OutputArena.Output("last_hidden_state", new long[] {info.dim()}));
        }
        for (String name : presentNames) {
            outputs.add(new OutputArena.Output(name, new long[] {info.kvHeads(), info.headDim()}));
        }
        return new OutputArena(outputs);
    }

    /** One sequence of a batched forward: its new tokens, positions and mask [S][P+S] relative to its own cache. */
    public record BatchEntry(int[] tokens, int[] positions, float[] mask) {}

    /**
     * One forward over several sequences living in pool slots 0..B-1 (entry b in slot b). Shorter inputs are
     * padded; each sequence sees only its own cache rows and new tokens. The past is the pool's slots at
     * their current stride ({@link KvPool#fit()}: the longest live sequence rounded up to a bucket), a
     * zero-copy view, so the forward attends over the rows the batch needs. Returns one output per entry.
     */
    public TargetOutput[] forwardBatch(List<BatchEntry> entries, KvPool pool) {
        int b = entries.size();
        if (optimum != null) { // no per-sequence masks across a batch in a 2-D mask: one forward per sequence
            TargetOutput[] out = new TargetOutput[b];
            for (int e = 0; e < b; e++) {
                BatchEntry entry = entries.get(e);
                out[e] = forward(entry.tokens(), entry.positions(), entry.mask(), pool.cacheAt(e));
            }
            return out;
        }
        PaddedBatch batch = PaddedBatch.of(entries, pool);
        int s = batch.seq();
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            Arenas ar = arenas.get();
            inputs.put("input_ids", ar.inputs().longs(env, "input_ids", batch.ids(), new long[] {b, s}));
            inputs.put("position_ids", ar.inputs().longs(env, "position_ids", batch.positions(), new long[] {b, s}));
            inputs.put("attention_mask", ar.inputs().floats(env, "attention_mask", batch.mask(),
                    new long[] {b, 1, s, batch.cols()}));
            OnnxTensor[] past = pool.batchPast(env, b);
            for (int i = 0; i < past.length; i++) {
                inputs.put(pastNames[i], past[i]);
            }
            OutputArena arenaOut = ar.outputs();
            long runNanos = run(inputs, arenaOut, b, s);
            TargetOutput[] out = new TargetOutput[b];
            for (int e = 0; e < b; e++) {
                int n = entries.get(e).tokens().length;
                out[e] = new TargetOutput(n, info.vocab(), info.dim(), arenaOut.copy(0, e * s, n),
                        hidden(arenaOut, e * s, n), presentViews(arenaOut, e * s, n), runNanos);
            }
            return out;
        } catch (OrtException ex) {
            throw new IllegalStateException("batched target forward failed (B=" + b + ", S=" + s + "): " + ex.getMessage(), ex);
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    public KvPool newPool(int slots, int capacity) {
        return new KvPool(info.layers(), info.kvHeads(), info.headDim(), layout(), slots, capacity);
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

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("closing target session: " + e.getMessage(), e);
        }
    }
}
