import dev.specserve.drafters.ModelStack;
import dev.specserve.runtime.engine.Engine;
import dev.specserve.runtime.engine.EngineConfig;
import dev.specserve.runtime.engine.EngineRequest;
import dev.specserve.runtime.engine.GenerationObserver;
import dev.specserve.runtime.engine.RequestStats;
import dev.specserve.runtime.ort.ExecutionDevice;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.SamplingParams;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Inter-token latency of running streams while long prompts arrive, per prefill chunk size (engine level, no
 * HTTP). STREAMS closed-loop streams decode short prompts; after a steady phase, a ~480-token prompt arrives
 * every PERIOD ms. ITL is each gap between a stream's token callbacks divided by the tokens it brought, and is
 * compared with the same engine's steady phase, so machine noise hits both alike. Not a test; run with
 *
 *   java [-Dprefill.threads=N|auto] -cp controller/target/specserve.jar bench/PrefillItl.java models/demo [strategy] [chunks...]
 *
 * A chunk of 100000 is the old behaviour: each prompt prefilled whole between two rounds. A chunk written with a
 * trailing "o" (say 256o) prefills beside the rounds on a second thread (prefill_overlap), chunks sized to a round.
 */
public class PrefillItl {
    static final int STREAMS = 4;
    static final long STEADY_MS = 3000;
    static final long LOADED_MS = 6000;
    static final long PERIOD_MS = 600;

    public static void main(String[] args) throws Exception {
        String strategy = args.length > 1 ? args[1] : "none";
        List<String> chunks = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            chunks.add(args[i]);
        }
        if (chunks.isEmpty()) {
            chunks = List.of("100000", "128", "64", "32");
        }
        int threads = dev.specserve.runtime.ort.IntraOpThreads.resolve("auto");
        int prefillThreads = dev.specserve.runtime.ort.IntraOpThreads.prefill(System.getProperty("prefill.threads", "auto"), threads);
        try (ModelStack stack = ModelStack.load(Path.of(args[0]), ExecutionDevice.CPU, threads, prefillThreads,
                dev.specserve.runtime.manifest.DrafterPrecision.AUTO, 0)) {
            String code = ("import os\nimport sys\n\n\ndef main(argv=None):\n    parser = argparse.ArgumentParser()\n"
                    + "    for name in sorted(os.listdir(path)):\n        if name.endswith('.py'):\n").repeat(60);
            String longPrompt = stack.tokenizer().decode(Arrays.copyOf(stack.tokenizer().encode(code), 480));
            List<String> shorts = List.of("class Queue:\n    def __init__(self):\n        self.",
                    "def fibonacci(n):\n", "import json\n\n\ndef load(path):\n", "for (int i = 0; i < n; i++) {\n");
            System.out.printf("strategy %s, %d streams, a %d-token prompt every %d ms; cores %d%n", strategy, STREAMS,
                    stack.tokenizer().encode(longPrompt).length, PERIOD_MS, Runtime.getRuntime().availableProcessors());
            for (String spec : chunks) {
                boolean overlap = spec.endsWith("o");
                int chunk = Integer.parseInt(overlap ? spec.substring(0, spec.length() - 1) : spec);
                EngineConfig d = EngineConfig.defaults();
                EngineConfig cfg = new EngineConfig(8, 64, 512, strategy, d.defaultBudget(), 120_000, 0,
                        d.prefixBlockTokens(), chunk).withPrefillOverlap(overlap);
                try (Engine e = stack.newEngine(cfg)) {
                    while (!e.ready()) {
                        Thread.sleep(20);
                    }
                    System.out.printf("prefill %s%n", overlap ? "beside the rounds (prefill_overlap)" : "between rounds");
                    run(e, strategy, shorts, longPrompt, chunk);
                }
            }
        }
    }

    static void run(Engine e, String strategy, List<String> shorts, String longPrompt, int chunk) throws Exception {
        List<double[]> gaps = Collections.synchronizedList(new ArrayList<>()); // {time of gap end, ms per token}
        AtomicBoolean stop = new AtomicBoolean();
        for (int s = 0; s < STREAMS; s++) {
            String prompt = shorts.get(s % shorts.size());
            stream(e, strategy, "s" + s, prompt, gaps, stop);
        }
        long t0 = System.nanoTime();
        Thread.sleep(STEADY_MS);
        long loadedFrom = System.nanoTime();
        int sent = 0;
        while (System.nanoTime() - loadedFrom < LOADED_MS * 1_000_000) {
            e.submit(new EngineRequest("long" + sent++, longPrompt, 8, SamplingParams.GREEDY, List.of(), strategy,
                    null, null, 0), new Quiet());
            Thread.sleep(PERIOD_MS);
        }
        stop.set(true);
        Thread.sleep(300);
        List<Double> steady = new ArrayList<>();
        List<Double> loaded = new ArrayList<>();
        synchronized (gaps) {
            for (double[] g : gaps) {
                long at = (long) g[0];
                if (at > t0 + 500_000_000L && at < loadedFrom) {
                    steady.add(g[1]);
                } else if (at >= loadedFrom + 200_000_000L) {
                    loaded.add(g[1]);
                }
            }
        }
        double sp99 = pct(steady, 0.99);
        double lp99 = pct(loaded, 0.99);
        // p99 misses stalls rarer than 1% of the gaps (a whole prefill stalls once per prompt): report the
        // worst gap and p99.9 beside it
        System.out.printf("chunk %6d: steady ITL p50 %.1f p99 %.1f max %.1f ms | long prompts arriving: p50 %.1f p99 %.1f"
                        + " p99.9 %.1f max %.1f ms | p99 ratio %.2f, max ratio %.2f (%d long prompts, %d gaps)%n", chunk,
                pct(steady, 0.5), sp99, pct(steady, 1.0), pct(loaded, 0.5), lp99, pct(loaded, 0.999), pct(loaded, 1.0),
                lp99 / sp99, pct(loaded, 1.0) / pct(steady, 1.0), sent, loaded.size());
    }

    static void stream(Engine e, String strategy, String id, String prompt, List<double[]> gaps, AtomicBoolean stop) {
        e.submit(new EngineRequest(id, prompt, 400, SamplingParams.GREEDY, List.of(), strategy, null, null, 0),
                new GenerationObserver() {
                    long last;

                    @Override
                    public void onTokens(int[] tokens, String delta) {
                        long now = System.nanoTime();
                        if (last != 0 && tokens.length > 0) {
                            gaps.add(new double[] {now, (now - last) / 1e6 / tokens.length});
                        }
                        last = now;
                    }

                    @Override
                    public void onComplete(GenerationResult result, RequestStats stats) {
                        if (!stop.get()) {
                            stream(e, strategy, id + "+", prompt, gaps, stop); // closed loop
                        }
                    }

                    @Override
                    public void onError(Throwable error) {
                        error.printStackTrace();
                    }
                });
    }

    static double pct(List<Double> xs, double q) {
        if (xs.isEmpty()) {
            return Double.NaN;
        }
        double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a[Math.min(a.length - 1, (int) (q * a.length))];
    }

    static final class Quiet implements GenerationObserver {
        @Override
        public void onTokens(int[] tokens, String delta) {}

        @Override
        public void onComplete(GenerationResult result, RequestStats stats) {}

        @Override
        public void onError(Throwable error) {
            error.printStackTrace();
        }
    }
}
