import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * fp32 vs fp16 KV cache for an exported checkpoint: the same target graph exported with fp32 past/present and
 * with fp16 past/present (cast at the graph edge; hf_export.export_tree(..., kv_half=True)), timed per forward
 * with P past rows and S new tokens, interleaved, the server's default intra-op threads (auto), ALL_OPT as the server uses. Not a test:
 *
 *   java -cp controller/target/specserve.jar bench/KvDtypeCost.java FP32KV.onnx FP16KV.onnx LAYERS KV_HEADS HEAD_DIM
 *
 * Prints the median ms of each and the ratio fp16/fp32; the KV bytes per row halve with fp16.
 */
public class KvDtypeCost {
    public static void main(String[] args) throws Exception {
        int layers = Integer.parseInt(args[2]), kvh = Integer.parseInt(args[3]), d = Integer.parseInt(args[4]);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        o.setIntraOpNumThreads(dev.specserve.runtime.ort.IntraOpThreads.resolve("auto"));
        o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        try (OrtSession f32 = env.createSession(args[0], o); OrtSession f16 = env.createSession(args[1], o)) {
            System.out.printf("%6s %4s %10s %10s %8s%n", "past", "S", "fp32 ms", "fp16 ms", "ratio");
            for (int p : new int[] {128, 512}) {
                for (int s : new int[] {1, 16}) {
                    double[] a = new double[15], b = new double[15];
                    for (int i = -3; i < 15; i++) { // 3 warm-up rounds, then interleaved timings
                        double ta = time(env, f32, false, layers, kvh, d, p, s);
                        double tb = time(env, f16, true, layers, kvh, d, p, s);
                        if (i >= 0) {
                            a[i] = ta;
                            b[i] = tb;
                        }
                    }
                    double ma = median(a), mb = median(b);
                    System.out.printf("%6d %4d %10.2f %10.2f %8.2f%n", p, s, ma, mb, mb / ma);
                }
            }
        }
    }

    static double time(OrtEnvironment env, OrtSession session, boolean half, int layers, int kvh, int d, int p, int s)
            throws Exception {
        Map<String, OnnxTensor> in = new HashMap<>();
        try {
            long[] ids = new long[s];
            long[] pos = new long[s];
            for (int i = 0; i < s; i++) {
                ids[i] = 1 + i;
                pos[i] = p + i;
            }
            in.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(ids), new long[] {1, s}));
            in.put("position_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(pos), new long[] {1, s}));
            in.put("attention_mask", OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[s * (p + s)]),
                    new long[] {1, 1, s, p + s}));
            long[] shape = {1, p, kvh, d};
            for (int l = 0; l < layers; l++) {
                for (String kv : new String[] {"key", "value"}) {
                    String name = "past_key_values." + l + "." + kv;
                    int n = p * kvh * d;
                    in.put(name, half
                            ? OnnxTensor.createTensor(env, ByteBuffer.allocateDirect(2 * n).order(ByteOrder.nativeOrder()),
                                    shape, OnnxJavaType.FLOAT16)
                            : OnnxTensor.createTensor(env, ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder())
                                    .asFloatBuffer(), shape));
                }
            }
            long t0 = System.nanoTime();
            try (OrtSession.Result r = session.run(in)) {
                return (System.nanoTime() - t0) / 1e6;
            }
        } finally {
            in.values().forEach(OnnxTensor::close);
        }
    }

    static double median(double[] x) {
        double[] c = x.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }
}
