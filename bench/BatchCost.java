import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cost of the batched verify forward as a function of the past rows it is given, on the demo target
 * (8 layers, 5 heads x 64, the server's default intra-op threads (auto), ALL_OPT as the server uses). Not a test; run with
 *
 *   java -cp controller/target/specserve.jar bench/BatchCost.java models/demo [--profile]
 *
 * Prints the median ms of a B x 7-token verify (a 6-node tree + root) over `rows` past rows, the cost of
 * copying those rows out of a [slot][769-row] pool into a staging buffer (the alternative to a zero-copy
 * view), and with --profile ORT's per-operator time at B=8 for 769 and 192 rows (is it the in-graph past
 * concatenation?).
 */
public class BatchCost {
    static final int LAYERS = 8, HEADS = 5, HEAD_DIM = 64, ROW = HEADS * HEAD_DIM, S = 7, CAPACITY = 769;

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]).resolve("target.onnx");
        boolean profile = args.length > 1 && args[1].equals("--profile");
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        if (profile) {
            for (int rows : new int[] {769, 192}) {
                OrtSession.SessionOptions o = options();
                Path prefix = Files.createTempDirectory("ortprof").resolve("p" + rows);
                o.enableProfiling(prefix.toString());
                try (OrtSession s = env.createSession(model.toString(), o)) {
                    for (int i = 0; i < 23; i++) {
                        run(env, s, 8, rows);
                    }
                    String file = s.endProfiling();
                    summarize(rows, Files.readString(Path.of(file)));
                }
            }
            return;
        }
        try (OrtSession s = env.createSession(model.toString(), options())) {
            System.out.println("B  rows  verify_ms  copy_ms(staging)");
            for (int b : new int[] {1, 4, 8}) {
                for (int rows : new int[] {64, 128, 192, 256, 384, 769}) {
                    for (int i = 0; i < 3; i++) {
                        run(env, s, b, rows);
                    }
                    double[] ms = new double[15];
                    for (int i = 0; i < ms.length; i++) {
                        long t0 = System.nanoTime();
                        run(env, s, b, rows);
                        ms[i] = (System.nanoTime() - t0) / 1e6;
                    }
                    Arrays.sort(ms);
                    System.out.printf("%d  %4d  %8.2f  %8.2f%n", b, rows, ms[ms.length / 2], copyMs(b, rows));
                }
            }
        }
    }

    static OrtSession.SessionOptions options() throws Exception {
        OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        o.setIntraOpNumThreads(dev.specserve.runtime.ort.IntraOpThreads.resolve("auto"));
        o.setInterOpNumThreads(1);
        return o;
    }

    static final Map<String, FloatBuffer> PAST = new HashMap<>();

    static void run(OrtEnvironment env, OrtSession s, int b, int rows) throws Exception {
        long[] ids = new long[b * S];
        long[] pos = new long[b * S];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = 17 + i % 50;
            pos[i] = Math.min(rows, 160) + i % S;
        }
        int cols = rows + S;
        float[] mask = new float[b * S * cols];
        Arrays.fill(mask, -1e9f);
        for (int r = 0; r < b * S; r++) {
            Arrays.fill(mask, r * cols, r * cols + Math.min(rows, 160), 0f);
            mask[r * cols + rows + r % S] = 0f;
        }
        FloatBuffer past = PAST.computeIfAbsent(b + "x" + rows, k -> ByteBuffer
                .allocateDirect(b * rows * ROW * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer());
        Map<String, OnnxTensor> in = new HashMap<>();
        try {
            in.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(ids), new long[] {b, S}));
            in.put("position_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(pos), new long[] {b, S}));
            in.put("attention_mask", OnnxTensor.createTensor(env, FloatBuffer.wrap(mask), new long[] {b, 1, S, cols}));
            for (int l = 0; l < LAYERS; l++) {
                for (String kv : new String[] {"key", "value"}) {
                    in.put("past_key_values." + l + "." + kv, OnnxTensor.createTensor(env, past.duplicate(),
                            new long[] {b, rows, HEADS, HEAD_DIM}));
                }
            }
            try (OrtSession.Result r = s.run(in)) {
                r.get(0);
            }
        } finally {
            in.values().forEach(OnnxTensor::close);
        }
    }

    static final FloatBuffer POOL = ByteBuffer.allocateDirect(8 * CAPACITY * ROW * Float.BYTES)
            .order(ByteOrder.nativeOrder()).asFloatBuffer();
    static final FloatBuffer STAGING = ByteBuffer.allocateDirect(8 * CAPACITY * ROW * Float.BYTES)
            .order(ByteOrder.nativeOrder()).asFloatBuffer();

    /** Copying every slot's first `rows` rows of all 16 tensors into a packed [B, rows] buffer (one pool buffer reused). */
    static double copyMs(int b, int rows) {
        double[] ms = new double[9];
        for (int i = 0; i < ms.length; i++) {
            long t0 = System.nanoTime();
            for (int t = 0; t < 2 * LAYERS; t++) {
                for (int slot = 0; slot < b; slot++) {
                    STAGING.put(slot * rows * ROW, POOL, slot * CAPACITY * ROW, rows * ROW);
                }
            }
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        return ms[ms.length / 2];
    }

    static void summarize(int rows, String json) {
        Map<String, Long> byOp = new TreeMap<>();
        Pattern dur = Pattern.compile("\"dur\"\\s*:\\s*(\\d+)");
        Pattern op = Pattern.compile("\"op_name\"\\s*:\\s*\"(\\w+)\"");
        long total = 0;
        for (String line : json.split("\n")) {
            if (!line.contains("\"cat\" : \"Node\"") || !line.contains("_kernel_time")) {
                continue;
            }
            Matcher d = dur.matcher(line);
            Matcher o = op.matcher(line);
            if (d.find() && o.find()) {
                long us = Long.parseLong(d.group(1));
                byOp.merge(o.group(1), us, Long::sum);
                total += us;
            }
        }
        System.out.printf("B=8 rows=%d: kernel time by operator over 23 runs (first 3 are warm-up), total %.1f ms%n",
                rows, total / 1e3);
        long t = total;
        byOp.entrySet().stream().sorted((a, c) -> Long.compare(c.getValue(), a.getValue())).limit(10)
                .forEach(e -> System.out.printf("  %-22s %8.1f ms  %5.1f%%%n", e.getKey(), e.getValue() / 1e3,
                        100.0 * e.getValue() / t));
    }
}
