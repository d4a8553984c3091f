package dev.specserve.drafters;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.specserve.runtime.kv.KvCache;
import dev.specserve.runtime.kv.KvCacheRecycler;
import dev.specserve.runtime.manifest.ModelManifest;
import dev.specserve.runtime.model.KvNames;
import dev.specserve.runtime.ort.InputArena;
import dev.specserve.runtime.ort.OutputArena;
import dev.specserve.runtime.ort.SessionFactory;
import dev.specserve.runtime.ort.SessionValidator;
import dev.specserve.runtime.ort.Tensors;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** The SpecBlock drafter session: one call runs any mix of context pairs, block slots and expansion anchors. */
public final class SpecBlockModel implements AutoCloseable {
    private final OrtEnvironment env;
    private final OrtSession session;
    private final ModelManifest.DrafterInfo info;
    private final String[] pastNames;
    private final String[] presentNames;
    private final boolean takesShiftIndex; // a one-layer drafter has no layer-wise shift, so no shift_index input
    private final AtomicLong calls = new AtomicLong();
    private final ThreadLocal<FloatBuffer[]> pastScratch;
    private final ThreadLocal<Arenas> arenas;
    private final KvCacheRecycler caches = new KvCacheRecycler(16);

    /** Output order in this model's {@link OutputArena}: the four per-row outputs, then the present tensors. */
    private static final int OUT_HIDDEN = 0;
    private static final int OUT_IDS = 1;
    private static final int OUT_LOGPROBS = 2;
    private static final int OUT_RANK = 3;
    private static final int OUT_PRESENT = 4;

    /** One thread's reusable input and output buffers. */
    private record Arenas(InputArena inputs, OutputArena outputs) {}

    public SpecBlockModel(SessionFactory factory, ModelManifest.DrafterInfo info) {
        this.env = factory.environment();
        this.info = info;
        this.session = factory.open(info.file());
        SessionValidator.validate("drafter " + info.file().getFileName(), session, info.inputs(), info.outputs());
        KvNames names = KvNames.forLayers(info.layers());
        pastNames = names.past();
        presentNames = names.present();
        takesShiftIndex = session.getInputNames().contains("shift_index");
        pastScratch = ThreadLocal.withInitial(() -> new FloatBuffer[pastNames.length]);
        List<OutputArena.Output> outputs = new java.util.ArrayList<>(List.of(
                new OutputArena.Output("hidden_out", new long[] {info.dim()}),
                new OutputArena.Output("topk_ids", new long[] {info.topk()}, true),
                new OutputArena.Output("topk_logprobs", new long[] {info.topk()}),
                new OutputArena.Output("rank_logits", new long[] {DrafterOutput.RANK_CLASSES})));
        for (String name : presentNames) {
            outputs.add(new OutputArena.Output(name, new long[] {info.heads(), info.headDim()}));
        }
        arenas = ThreadLocal.withInitial(() -> new Arenas(new InputArena(), new OutputArena(outputs)));
    }

    public ModelManifest.DrafterInfo info() {
        return info;
    }

    /** Session runs so far (a batched call over several sequences counts once). */
    public long calls() {
        return calls.get();
    }

    public int blockSize() {
        return info.blockSize();
    }

    /** An empty cache for one sequence: one a closed sequence {@link #recycle recycled}, or a new one. */
    public KvCache newCache(int capacity) {
        return caches.take(capacity, c -> new KvCache(info.layers(), info.heads(), info.headDim(), c));
    }

    /** Takes back a cache from {@link #newCache} that its sequence no longer uses. */
    public void recycle(KvCache cache) {
        caches.give(cache);
    }

    DrafterOutput forward(List<DraftRow> rows, KvCache cache, Adapter adapter) {
        return forward(List.of(rows), List.of(cache), adapter)[0];
    }

    /**
     * One call for several sequences' rows, each over its own cache (rows and pasts padded to the longest; see
     * {@link DraftBatch}); outputs in the order given, each charged its share of the call's time by rows. A
     * two-layer drafter's {@code shift_index} is one vector for the whole call, so such a drafter runs its
     * sequences one by one.
     */
    DrafterOutput[] forward(List<List<DraftRow>> rows, List<KvCache> caches, Adapter adapter) {
        if (rows.size() > 1 && takesShiftIndex) {
            DrafterOutput[] outs = new DrafterOutput[rows.size()];
            for (int i = 0; i < outs.length; i++) {
                outs[i] = forward(rows.get(i), caches.get(i), adapter);
            }
            return outs;
        }
        int h = info.dim();
        int[] pasts = caches.stream().mapToInt(KvCache::length).toArray();
        DraftBatch in = DraftBatch.of(rows, pasts, h);
        int b = in.batch();
        int s = in.seq();
        long[] rowShape = {b, s};
        Arenas ar = arenas.get();
        InputArena ia = ar.inputs();
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            inputs.put("input_ids", ia.longs(env, "input_ids", in.ids(), rowShape));
            inputs.put("hidden_in", ia.floats(env, "hidden_in", in.hidden(), new long[] {b, s, h}));
            inputs.put("slot_ids", ia.longs(env, "slot_ids", in.slots(), rowShape));
            if (takesShiftIndex) {
                inputs.put("shift_index", ia.longs(env, "shift_index", in.shift(), new long[] {s}));
            }
            inputs.put("position_ids", ia.longs(env, "position_ids", in.positions(), rowShape));
            inputs.put("attention_mask", ia.floats(env, "attention_mask", in.mask(), new long[] {b, 1, s, in.past() + s}));
            inputs.put("adapter_a", ia.floats(env, "adapter_a", adapter.a(), new long[] {adapter.rank(), h}));
            inputs.put("adapter_b", ia.floats(env, "adapter_b", adapter.b(), new long[] {h, adapter.rank()}));
            OnnxTensor[] past = b == 1 ? caches.get(0).pastTensors(env) : paddedPast(caches, in.past());
            for (int i = 0; i < past.length; i++) {
                inputs.put(pastNames[i], past[i]);
            }
            OutputArena out = ar.outputs();
            Map<String, OnnxTensor> pinned = out.pin(env, b, s);
            long runNanos;
            try {
                long t0 = System.nanoTime();
                calls.incrementAndGet();
                session.run(inputs, pinned).close();
                runNanos = System.nanoTime() - t0;
            } finally {
                pinned.values().forEach(OnnxTensor::close);
            }
            FloatBuffer[] present = new FloatBuffer[presentNames.length]; // kept past the next call: copied
            for (int i = 0; i < present.length; i++) {
                present[i] = FloatBuffer.wrap(out.copy(OUT_PRESENT + i, 0, b * s));
            }
            int k = info.topk();
            int total = rows.stream().mapToInt(List::size).sum();
            DrafterOutput[] outs = new DrafterOutput[b];
            for (int e = 0; e < b; e++) {
                int n = rows.get(e).size();
                int from = e * s;
                outs[e] = new DrafterOutput(n, h, k, out.copy(OUT_HIDDEN, from, n), out.copyLongs(OUT_IDS, from, n),
                        out.copy(OUT_LOGPROBS, from, n), out.copy(OUT_RANK, from, n), present, from,
                        runNanos * n / total, info.vocabulary());
            }
            return outs;
        } catch (OrtException e) {
            throw new IllegalStateException("drafter forward failed (B=" + b + ", S=" + s + ", past=" + in.past() + "): "
                    + e.getMessage(), e);
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    /**
     * Every cache's live rows copied into one [B][past][heads][headDim] tensor per layer input, over this thread's
     * scratch buffers (grown as needed and reused: a direct buffer per call would leave its freeing to the GC).
     */
    private OnnxTensor[] paddedPast(List<KvCache> caches, int past) throws OrtException {
        int rowFloats = info.heads() * info.headDim();
        int b = caches.size();
        int floats = b * past * rowFloats;
        FloatBuffer[] scratch = pastScratch.get();
        return Tensors.all(pastNames.length, t -> {
            if (scratch[t] == null || scratch[t].capacity() < floats) {
                scratch[t] = ByteBuffer.allocateDirect(Math.max(floats, 2 * (scratch[t] == null ? 0 : scratch[t].capacity()))
                        * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
            }
            FloatBuffer buf = scratch[t].duplicate().position(0).limit(floats).slice();
            for (int e = 0; e < b; e++) {
                caches.get(e).copyRows(t, 0, caches.get(e).length(), buf, e * past * rowFloats);
            }
            return OnnxTensor.createTensor(env, buf, new long[] {b, past, info.heads(), info.headDim()});
        });
    }

    @Override
    public void close() {
        arenas.remove(); // this thread's buffers; other threads' go with the model (their entries are weakly keyed)
        pastScratch.remove();
        caches.clear(); // a retired model's handle may outlive it
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("closing drafter session: " + e.getMessage(), e);
        }
    }
}
