package dev.specserve.drafters;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.specserve.runtime.kv.KvCache;
import dev.specserve.runtime.manifest.ModelManifest;
import dev.specserve.runtime.model.KvNames;
import dev.specserve.runtime.model.Masks;
import dev.specserve.runtime.ort.SessionFactory;
import dev.specserve.runtime.ort.SessionValidator;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The SpecBlock drafter session: one call runs any mix of context pairs, block slots and expansion anchors. */
public final class SpecBlockModel implements AutoCloseable {
    private final OrtEnvironment env;
    private final OrtSession session;
    private final ModelManifest.DrafterInfo info;
    private final String[] pastNames;
    private final String[] presentNames;
    private final boolean takesShiftIndex; // a one-layer drafter has no layer-wise shift, so no shift_index input

    public SpecBlockModel(SessionFactory factory, ModelManifest.DrafterInfo info) {
        this.env = factory.environment();
        this.info = info;
        this.session = factory.open(info.file());
        SessionValidator.validate("drafter " + info.file().getFileName(), session, info.inputs(), info.outputs());
        KvNames names = KvNames.forLayers(info.layers());
        pastNames = names.past();
        presentNames = names.present();
        takesShiftIndex = session.getInputNames().contains("shift_index");
    }

    public ModelManifest.DrafterInfo info() {
        return info;
    }

    public int blockSize() {
        return info.blockSize();
    }

    public KvCache newCache(int capacity) {
        return new KvCache(info.layers(), info.heads(), info.headDim(), capacity);
    }

    DrafterOutput forward(List<DraftRow> rows, KvCache cache, Adapter adapter) {
        int s = rows.size();
        int p = cache.length();
        int h = info.dim();
        long[] ids = new long[s];
        long[] slots = new long[s];
        long[] shift = new long[s];
        long[] pos = new long[s];
        float[] hidden = new float[s * h];
        float[] mask = new float[s * (p + s)];
        Arrays.fill(mask, Masks.BLOCKED);
        for (int i = 0; i < s; i++) {
            DraftRow r = rows.get(i);
            ids[i] = r.token();
            slots[i] = r.slot();
            shift[i] = r.shift();
            pos[i] = r.position();
            System.arraycopy(r.hidden(), 0, hidden, i * h, h);
            int base = i * (p + s);
            Arrays.fill(mask, base, base + Math.min(r.prefix(), p + s), 0f);
            for (int col : r.extra()) {
                mask[base + col] = 0f;
            }
        }
        Map<String, OnnxTensor> in = new HashMap<>();
        try {
            in.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(ids), new long[] {1, s}));
            in.put("hidden_in", OnnxTensor.createTensor(env, FloatBuffer.wrap(hidden), new long[] {1, s, h}));
            in.put("slot_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(slots), new long[] {1, s}));
            if (takesShiftIndex) {
                in.put("shift_index", OnnxTensor.createTensor(env, LongBuffer.wrap(shift), new long[] {s}));
            }
            in.put("position_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(pos), new long[] {1, s}));
            in.put("attention_mask", OnnxTensor.createTensor(env, FloatBuffer.wrap(mask), new long[] {1, 1, s, p + s}));
            in.put("adapter_a", OnnxTensor.createTensor(env, FloatBuffer.wrap(adapter.a()), new long[] {adapter.rank(), h}));
            in.put("adapter_b", OnnxTensor.createTensor(env, FloatBuffer.wrap(adapter.b()), new long[] {h, adapter.rank()}));
            OnnxTensor[] past = cache.pastTensors(env);
            for (int i = 0; i < past.length; i++) {
                in.put(pastNames[i], past[i]);
            }
            long t0 = System.nanoTime();
            try (OrtSession.Result r = session.run(in)) {
                long runNanos = System.nanoTime() - t0;
                int k = info.topk();
                FloatBuffer[] present = new FloatBuffer[presentNames.length];
                for (int i = 0; i < present.length; i++) {
                    present[i] = ((OnnxTensor) r.get(presentNames[i]).orElseThrow()).getFloatBuffer();
                }
                return new DrafterOutput(s, h, k, floats(r, "hidden_out"), longs(r, "topk_ids"),
                        floats(r, "topk_logprobs"), floats(r, "rank_logits"), present, runNanos, info.vocabulary());
            }
        } catch (OrtException e) {
            throw new IllegalStateException("drafter forward failed (S=" + s + ", past=" + p + "): " + e.getMessage(), e);
        } finally {
            in.values().forEach(OnnxTensor::close);
        }
    }

    private static float[] floats(OrtSession.Result r, String name) {
        FloatBuffer fb = ((OnnxTensor) r.get(name).orElseThrow()).getFloatBuffer();
        float[] out = new float[fb.remaining()];
        fb.get(out);
        return out;
    }

    private static long[] longs(OrtSession.Result r, String name) {
        LongBuffer lb = ((OnnxTensor) r.get(name).orElseThrow()).getLongBuffer();
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
