package dev.specserve.runtime.model;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.specserve.runtime.kv.KvCache;
import dev.specserve.runtime.kv.KvLayout;
import dev.specserve.runtime.kv.KvPool;
import dev.specserve.runtime.manifest.ModelManifest;
import dev.specserve.runtime.ort.InputArena;
import dev.specserve.runtime.ort.SessionFactory;
import dev.specserve.runtime.ort.SessionValidator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The target LM session: one forward over S new tokens with explicit positions and an additive mask; forwards the
 * model's ragged graph takes go to it ({@link RaggedGraph}), and {@link #prefill prefill chunks} of at least
 * {@value #WIDE_ROWS} rows to a second session of it with more threads, where the factory has one.
 */
public final class TargetModel implements AutoCloseable {
    /** Rows from which a prefill chunk runs in the wide session (decode steps and trees never do). */
    public static final int WIDE_ROWS = 64;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final ModelManifest.TargetInfo info;
    private final String[] pastNames;
    private final boolean hasHidden;
    private final OptimumGraph optimum;
    private final TargetIo io;
    private final RaggedGraph ragged;
    private final RaggedGraph wide;
    private final java.util.concurrent.atomic.AtomicLong wideForwards = new java.util.concurrent.atomic.AtomicLong();

    public TargetModel(SessionFactory factory, ModelManifest.TargetInfo info) {
        this.env = factory.environment();
        this.info = info;
        this.session = factory.open(info.file());
        SessionValidator.validate("target " + info.file().getFileName(), session, info.inputs(), info.outputs());
        KvNames names = KvNames.forLayers(info.layers());
        pastNames = names.past();
        hasHidden = info.outputs().stream().anyMatch(t -> t.name().equals("last_hidden_state"));
        optimum = info.contract() == ModelManifest.Contract.OPTIMUM ? new OptimumGraph(env, session, info, names) : null;
        io = new TargetIo(env, session, info, names.present(), hasHidden);
        ragged = RaggedGraph.open(factory, info, names, hasHidden);
        RaggedGraph w = null;
        try {
            w = ragged == null ? null : RaggedGraph.openWide(factory, info, names, hasHidden);
        } catch (RuntimeException e) {
            close(); // the sessions opened so far
            throw e;
        }
        wide = w;
    }

    /** Whether wide forwards run in a session of their own ({@link SessionFactory#wideThreads} threads). */
    public boolean hasWideSession() {
        return wide != null;
    }

    /** Forwards run in the wide session so far. */
    public long wideForwards() {
        return wideForwards.get();
    }

    /** Whether forwards that the ragged graph can run go to it (see {@link RaggedGraph}). */
    public boolean ragged() {
        return ragged != null;
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

    /** The Optimum contract's caches are head-major, as its graph takes them ({@link OptimumGraph}). */
    private KvLayout layout() {
        return optimum == null ? info.kvLayout() : KvLayout.BHSD;
    }

    /** Runs the model on {@code tokens} after the cache's rows, keeping every row's logits; does not modify the cache. */
    public TargetOutput forward(int[] tokens, int[] positions, float[] mask, KvCache cache) {
        return forward(tokens, positions, mask, cache, tokens.length);
    }

    /**
     * Runs the model on {@code tokens} after the cache's rows; leaves its live rows alone (the ragged graph writes
     * the new rows after them, where an append puts them anyway). Only the last
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
        if (ragged != null && RaggedGraph.takes(mask, s, cache)) {
            return ragged.forward(tokens, positions, mask, cache, logitRows);
        }
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            InputArena in = io.inputs();
            inputs.put("input_ids", in.longs(env, "input_ids", tokens, new long[] {1, s}));
            inputs.put("position_ids", in.longs(env, "position_ids", positions, new long[] {1, s}));
            int cols = cache.pastRows();
            inputs.put("attention_mask", in.floats(env, "attention_mask", Masks.widenPast(mask, s, p, cols),
                    new long[] {1, 1, s, cols + s}));
            OnnxTensor[] past = cache.pastTensors(env);
            for (int i = 0; i < past.length; i++) {
                inputs.put(pastNames[i], past[i]);
            }
            return io.output(0, s, logitRows, io.run(inputs, 1, s, s, Map.of()));
        } catch (OrtException e) {
            throw new IllegalStateException("target forward failed (S=" + s + ", past=" + p + "): " + e.getMessage(), e);
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    /**
     * A prompt chunk after the cache's rows, causal, keeping only its last row's logits; a chunk of
     * {@value #WIDE_ROWS} rows or more runs in the wide session where there is one.
     */
    public TargetOutput prefill(int[] tokens, int[] positions, KvCache cache) {
        return prefill(tokens, positions, cache, 1);
    }

    /** {@link #prefill} keeping the logits of the last {@code logitRows} rows (all of them for prompt logprobs). */
    public TargetOutput prefill(int[] tokens, int[] positions, KvCache cache, int logitRows) {
        float[] mask = Masks.causal(tokens.length, cache.length());
        if (wide != null && tokens.length >= WIDE_ROWS && optimum == null && RaggedGraph.takes(mask, tokens.length, cache)) {
            wideForwards.incrementAndGet();
            return wide.forward(tokens, positions, mask, cache, logitRows);
        }
        return forward(tokens, positions, mask, cache, logitRows);
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
        if (ragged != null && RaggedGraph.takes(entries, pool)) {
            return b == 1 ? new TargetOutput[] {forward(entries.get(0).tokens(), entries.get(0).positions(),
                    entries.get(0).mask(), pool.cacheAt(0))} : ragged.forwardBatch(entries, pool);
        }
        PaddedBatch batch = PaddedBatch.of(entries, pool);
        int s = batch.seq();
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            InputArena in = io.inputs();
            inputs.put("input_ids", in.longs(env, "input_ids", batch.ids(), new long[] {b, s}));
            inputs.put("position_ids", in.longs(env, "position_ids", batch.positions(), new long[] {b, s}));
            inputs.put("attention_mask", in.floats(env, "attention_mask", batch.mask(), new long[] {b, 1, s, batch.cols()}));
            OnnxTensor[] past = pool.batchPast(env, b);
            for (int i = 0; i < past.length; i++) {
                inputs.put(pastNames[i], past[i]);
            }
            long runNanos = io.run(inputs, b, s, s, Map.of());
            TargetOutput[] out = new TargetOutput[b];
            for (int e = 0; e < b; e++) {
                int n = entries.get(e).tokens().length;
                out[e] = io.output(e * s, n, n, runNanos);
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

    @Override
    public void close() {
        io.release();
        try (OrtSession main = session; RaggedGraph r = ragged; RaggedGraph w = wide) { // each closed, whatever throws
            // nothing else to do
        } catch (OrtException e) {
            throw new IllegalStateException("closing target session: " + e.getMessage(), e);
        }
    }
}
