package dev.specserve.drafters;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.specserve.runtime.kv.KvCache;
import dev.specserve.runtime.manifest.ModelManifest;
import dev.specserve.runtime.model.KvNames;
import dev.specserve.runtime.ort.SessionFactory;
import dev.specserve.runtime.ort.SessionValidator;
import dev.specserve.runtime.ort.Tensors;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;
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

    public KvCache newCache(int capacity) {
        return new KvCache(info.layers(), info.heads(), info.headDim(), capacity);
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
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            inputs.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(in.ids()), rowShape));
            inputs.put("hidden_in", OnnxTensor.createTensor(env, FloatBuffer.wrap(in.hidden()), new long[] {b, s, h}));
            inputs.put("slot_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(in.slots()), rowShape));
            if (takesShiftIndex) {
                inputs.put("shift_index", OnnxTensor.createTensor(env, LongBuffer.wrap(in.shift()), new long[] {s}));
            }
            inputs.put("position_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(in.positions()), rowShape));
            inputs.put("attention_mask", OnnxTensor.createTensor(env, FloatBuffer.wrap(in.mask()),
                    new long[] {b, 1, s, in.past() + s}));
            inputs.put("adapter_a", OnnxTensor.createTensor(env, FloatBuffer.wrap(adapter.a()), new long[] {adapter.rank(), h}));
            inputs.put("adapter_b", OnnxTensor.createTensor(env, FloatBuffer.wrap(adapter.b()), new long[] {h, adapter.rank()}));
            OnnxTensor[] past = b == 1 ? caches.get(0).pastTensors(env) : paddedPast(caches, in.past());
            for (int i = 0; i < past.length; i++) {
                inputs.put(pastNames[i], past[i]);
            }
            long t0 = System.nanoTime();
            calls.incrementAndGet();
            try (OrtSession.Result r = session.run(inputs)) {
                long runNanos = System.nanoTime() - t0;
                FloatBuffer[] present = new FloatBuffer[presentNames.length];
                for (int i = 0; i < present.length; i++) {
                    present[i] = ((OnnxTensor) r.get(presentNames[i]).orElseThrow()).getFloatBuffer();
                }
                float[] hidden = floats(r, "hidden_out");
                long[] ids = longs(r, "topk_ids");
                float[] logprobs = floats(r, "topk_logprobs");
                float[] rank = floats(r, "rank_logits");
                int k = info.topk();
                int total = rows.stream().mapToInt(List::size).sum();
                DrafterOutput[] outs = new DrafterOutput[b];
                for (int e = 0; e < b; e++) {
                    int n = rows.get(e).size();
                    int from = e * s;
                    outs[e] = new DrafterOutput(n, h, k, slice(hidden, from * h, n * h), slice(ids, from * k, n * k),
                            slice(logprobs, from * k, n * k), slice(rank, from * 4, n * 4), present, from,
                            runNanos * n / total, info.vocabulary());
                }
                return outs;
            }
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
                caches.get(e).copyLiveRows(t, buf, e * past * rowFloats);
            }
            return OnnxTensor.createTensor(env, buf, new long[] {b, past, info.heads(), info.headDim()});
        });
    }

    /** Values [from, from+n) of a call's output; the whole array itself when that is all of it (a batch of one). */
    private static float[] slice(float[] a, int from, int n) {
        return from == 0 && n == a.length ? a : Arrays.copyOfRange(a, from, from + n);
    }

    private static long[] slice(long[] a, int from, int n) {
        return from == 0 && n == a.length ? a : Arrays.copyOfRange(a, from, from + n);
    }

    /** An output's values: ORT already copies them into a heap buffer, whose array is used as it is. */
    private static float[] floats(OrtSession.Result r, String name) {
        FloatBuffer fb = ((OnnxTensor) r.get(name).orElseThrow()).getFloatBuffer();
        if (fb.hasArray() && fb.arrayOffset() == 0 && fb.position() == 0 && fb.array().length == fb.remaining()) {
            return fb.array();
        }
        float[] out = new float[fb.remaining()];
        fb.get(out);
        return out;
    }

    private static long[] longs(OrtSession.Result r, String name) {
        LongBuffer lb = ((OnnxTensor) r.get(name).orElseThrow()).getLongBuffer();
        if (lb.hasArray() && lb.arrayOffset() == 0 && lb.position() == 0 && lb.array().length == lb.remaining()) {
            return lb.array();
        }
        long[] out = new long[lb.remaining()];
        lb.get(out);
        return out;
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("closing drafter session: " + e.getMessage(), e);
        }
    }
}
