package dev.specserve.runtime.model;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.specserve.runtime.kv.KvCache;
import dev.specserve.runtime.kv.KvLayout;
import dev.specserve.runtime.kv.KvPool;
import dev.specserve.runtime.manifest.ModelManifest;
import dev.specserve.runtime.ort.ExecutionDevice;
import dev.specserve.runtime.ort.InputArena;
import dev.specserve.runtime.ort.SessionFactory;
import java.nio.IntBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The target's ragged-attention graph ({@code target.ragged} in the manifest): the same weights with each layer's
 * attention as ONNX Runtime's {@code GroupQueryAttention}. Each sequence attends over its own rows only, so a
 * batched step no longer reads every sequence's past padded to the longest one's; and since each present is bound
 * to its past, the graph writes the new rows into the cache region in place. Runtime's CPU kernel takes a batch of
 * one (a prefill chunk, a tree) or one new row per sequence (a batched plain step); {@link TargetModel} sends it
 * those and keeps the tree graph for batched trees. Afterwards the new rows are copied out as the tree contract's
 * present rows, so callers see the same {@link TargetOutput} from either graph.
 */
final class RaggedGraph implements AutoCloseable {
    private static final List<String> FIXED_INPUTS =
            List.of("input_ids", "position_ids", "seqlens_k", "total_sequence_length", "attention_bias", "logits_from");

    private final OrtEnvironment env;
    private final OrtSession session;
    private final KvNames names;
    private final TargetIo io;

    private RaggedGraph(OrtEnvironment env, OrtSession session, ModelManifest.TargetInfo info, KvNames names,
                        boolean hasHidden) {
        this.env = env;
        this.session = session;
        this.names = names;
        this.io = new TargetIo(env, session, info, names.present(), hasHidden);
        requireNames(info, hasHidden);
    }

    /** The model's ragged graph opened, or null where it does not serve ({@link #servesOn}). */
    static RaggedGraph open(SessionFactory factory, ModelManifest.TargetInfo info, KvNames names, boolean hasHidden) {
        return open(factory, info, names, hasHidden, false);
    }

    /** The same in a session with the factory's wide thread count, or null where there is none to open. */
    static RaggedGraph openWide(SessionFactory factory, ModelManifest.TargetInfo info, KvNames names, boolean hasHidden) {
        return factory.hasWideSessions() ? open(factory, info, names, hasHidden, true) : null;
    }

    private static RaggedGraph open(SessionFactory factory, ModelManifest.TargetInfo info, KvNames names,
                                    boolean hasHidden, boolean wide) {
        if (!servesOn(factory.device(), info)) {
            return null;
        }
        OrtSession session = wide ? factory.openWide(info.ragged()) : factory.open(info.ragged());
        try {
            return new RaggedGraph(factory.environment(), session, info, names, hasHidden);
        } catch (RuntimeException e) {
            closeQuietly(session, e);
            throw e;
        }
    }

    /**
     * Whether the ragged graph serves at all: on the CPU (Runtime's CUDA kernel takes fp16 only), when the manifest
     * names one and the system property {@code specserve.ragged} is not {@code false} (to measure one graph against
     * the other).
     */
    static boolean servesOn(ExecutionDevice device, ModelManifest.TargetInfo info) {
        return info.ragged() != null && info.contract() == ModelManifest.Contract.TREE && info.kvLayout() == KvLayout.BHSD
                && device == ExecutionDevice.CPU && !"false".equals(System.getProperty("specserve.ragged"));
    }

    /** Whether one sequence's forward of {@code s} rows with this mask runs here: its cache has room, its past is whole. */
    static boolean takes(float[] mask, int s, KvCache cache) {
        return cache.length() + s <= cache.capacity() && Masks.seesWholePast(mask, s, cache.length());
    }

    /**
     * Whether a batched forward runs here: Runtime's kernel takes a batch of one, or one new row per sequence, and
     * every sequence must have room and see its whole past.
     */
    static boolean takes(List<TargetModel.BatchEntry> entries, KvPool pool) {
        int maxRows = 0;
        for (TargetModel.BatchEntry e : entries) {
            maxRows = Math.max(maxRows, e.tokens().length);
        }
        if (entries.size() > 1 && maxRows > 1) {
            return false;
        }
        for (int e = 0; e < entries.size(); e++) {
            TargetModel.BatchEntry entry = entries.get(e);
            if (pool.cacheAt(e).length() + entry.tokens().length > pool.capacity()
                    || !Masks.seesWholePast(entry.mask(), entry.tokens().length, pool.cacheAt(e).length())) {
                return false;
            }
        }
        return true;
    }

    /** One sequence's forward (a prefill chunk, a plain step or a tree); the cache's live rows are not changed. */
    TargetOutput forward(int[] tokens, int[] positions, float[] mask, KvCache cache, int logitRows) {
        int s = tokens.length;
        int p = cache.length();
        Map<String, OnnxTensor> inputs = new HashMap<>();
        OnnxTensor[] region = null;
        try {
            InputArena in = io.inputs();
            inputs.put("input_ids", in.longs(env, "input_ids", tokens, new long[] {1, s}));
            inputs.put("position_ids", in.longs(env, "position_ids", positions, new long[] {1, s}));
            inputs.put("seqlens_k", ints(new int[] {p + s - 1}, new long[] {1}));
            inputs.put("total_sequence_length", ints(new int[] {p + s}, new long[0]));
            // the mask's columns are the key positions 0..P+S: exactly the bias the kernel adds to its causal scores
            inputs.put("attention_bias", in.floats(env, "attention_bias", mask, new long[] {1, 1, s, p + s}));
            inputs.put("logits_from", in.longs(env, "logits_from", new long[] {s - logitRows}, new long[] {1}));
            region = cache.regionTensors(env, s);
            long nanos = io.run(bind(inputs, region), 1, s, logitRows, presents(region));
            for (int t = 0; t < region.length; t++) {
                cache.copyWrittenRows(t, s, io.present(t, 0, s), 0);
            }
            return io.output(0, s, logitRows, 0, nanos);
        } catch (OrtException e) {
            throw new IllegalStateException("ragged target forward failed (S=" + s + ", past=" + p + "): "
                    + e.getMessage(), e);
        } finally {
            inputs.values().forEach(OnnxTensor::close);
            closeAll(region);
        }
    }

    /** A plain step of every sequence in pool slots 0..B-1 (entry b in slot b, one new row each). */
    TargetOutput[] forwardBatch(List<TargetModel.BatchEntry> entries, KvPool pool) {
        int b = entries.size();
        int[] ids = new int[b];
        int[] positions = new int[b];
        int[] seqlens = new int[b];
        int total = 0;
        for (int e = 0; e < b; e++) {
            ids[e] = entries.get(e).tokens()[0];
            positions[e] = entries.get(e).positions()[0];
            seqlens[e] = pool.cacheAt(e).length();
            total = Math.max(total, seqlens[e] + 1);
        }
        pool.ensureRows(total);
        Map<String, OnnxTensor> inputs = new HashMap<>();
        OnnxTensor[] past = null;
        try {
            InputArena in = io.inputs();
            inputs.put("input_ids", in.longs(env, "input_ids", ids, new long[] {b, 1}));
            inputs.put("position_ids", in.longs(env, "position_ids", positions, new long[] {b, 1}));
            inputs.put("seqlens_k", ints(seqlens, new long[] {b}));
            inputs.put("total_sequence_length", ints(new int[] {total}, new long[0]));
            inputs.put("attention_bias", in.floats(env, "attention_bias", new float[b * total], new long[] {b, 1, 1, total}));
            inputs.put("logits_from", in.longs(env, "logits_from", new long[] {0}, new long[] {1}));
            past = pool.batchPast(env, b);
            long nanos = io.run(bind(inputs, past), b, 1, 1, presents(past));
            TargetOutput[] out = new TargetOutput[b];
            for (int e = 0; e < b; e++) {
                for (int t = 0; t < past.length; t++) {
                    pool.cacheAt(e).copyWrittenRows(t, 1, io.present(t, e, 1), 0);
                }
                out[e] = io.output(e, 1, 1, nanos);
            }
            return out;
        } catch (OrtException ex) {
            throw new IllegalStateException("ragged batched target forward failed (B=" + b + "): " + ex.getMessage(), ex);
        } finally {
            inputs.values().forEach(OnnxTensor::close);
            closeAll(past);
        }
    }

    @Override
    public void close() throws OrtException {
        io.release();
        session.close();
    }

    private static void closeQuietly(OrtSession session, RuntimeException cause) {
        try {
            session.close();
        } catch (OrtException e) {
            cause.addSuppressed(e);
        }
    }

    private Map<String, OnnxTensor> bind(Map<String, OnnxTensor> inputs, OnnxTensor[] past) {
        Map<String, OnnxTensor> all = new HashMap<>(inputs);
        for (int t = 0; t < past.length; t++) {
            all.put(names.past()[t], past[t]);
        }
        return all;
    }

    private Map<String, OnnxTensor> presents(OnnxTensor[] past) {
        Map<String, OnnxTensor> bound = new HashMap<>();
        for (int t = 0; t < past.length; t++) {
            bound.put(names.present()[t], past[t]);
        }
        return bound;
    }

    private OnnxTensor ints(int[] values, long[] shape) throws OrtException {
        return OnnxTensor.createTensor(env, IntBuffer.wrap(values), shape);
    }

    private static void closeAll(OnnxTensor[] tensors) {
        if (tensors != null) {
            for (OnnxTensor t : tensors) {
                t.close();
            }
        }
    }

    /** The graph must take and give exactly what this class feeds and binds, by name. */
    private void requireNames(ModelManifest.TargetInfo info, boolean hasHidden) {
        Set<String> wantIn = new LinkedHashSet<>(FIXED_INPUTS);
        wantIn.addAll(List.of(names.past()));
        List<String> wantOut = new ArrayList<>(hasHidden ? List.of("logits", "last_hidden_state") : List.of("logits"));
        wantOut.addAll(List.of(names.present()));
        if (!session.getInputNames().equals(wantIn)
                || !new LinkedHashSet<>(session.getOutputNames()).equals(new LinkedHashSet<>(wantOut))) {
            throw new IllegalStateException("ragged target graph " + info.ragged().getFileName() + " takes "
                    + session.getInputNames() + " and gives " + session.getOutputNames() + "; expected " + wantIn
                    + " and " + wantOut);
        }
    }
}
