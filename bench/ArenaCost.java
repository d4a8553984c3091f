import dev.specserve.drafters.ModelStack;
import dev.specserve.runtime.engine.Engine;
import dev.specserve.runtime.engine.EngineConfig;
import dev.specserve.runtime.engine.EngineRequest;
import dev.specserve.runtime.engine.GenerationObserver;
import dev.specserve.runtime.engine.RequestStats;
import dev.specserve.runtime.ort.ExecutionDevice;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.SamplingParams;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Engine throughput with ONNX Runtime's CPU arena allocator on and off, side by side in one process (engine
 * level, no HTTP). Two model stacks are opened, one per setting (the switch is read as each session factory is
 * built), and rounds alternate between them: in each, CLIENTS requests of the held-out stream prompts run at
 * once, greedy, 64 tokens each, under `none` and then `auto`. Prints tokens/s per round and the ratio off ÷ on.
 * Not a test; run with
 *
 *   java -cp controller/target/specserve.jar bench/ArenaCost.java models/demo [rounds] [clients]
 */
public class ArenaCost {
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 6;
        int clients = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        List<String> prompts = prompts(Path.of("bench/prompts/python-stream.jsonl"));
        prompts.addAll(prompts(Path.of("bench/prompts/java-stream.jsonl")));
        int threads = dev.specserve.runtime.ort.IntraOpThreads.resolve("auto");
        int prefill = dev.specserve.runtime.ort.IntraOpThreads.prefill("auto", threads);
        System.setProperty("specserve.ort.arena", "1");
        ModelStack on = ModelStack.load(Path.of(args[0]), ExecutionDevice.CPU, threads, prefill,
                dev.specserve.runtime.manifest.DrafterPrecision.AUTO, 0);
        System.setProperty("specserve.ort.arena", "0");
        ModelStack off = ModelStack.load(Path.of(args[0]), ExecutionDevice.CPU, threads, prefill,
                dev.specserve.runtime.manifest.DrafterPrecision.AUTO, 0);
        EngineConfig cfg = EngineConfig.defaults();
        System.out.printf("%d clients, %d prompts, cores %d%n", clients, prompts.size(),
                Runtime.getRuntime().availableProcessors());
        try (on; off; Engine eOn = on.newEngine(cfg); Engine eOff = off.newEngine(cfg)) {
            while (!eOn.ready() || !eOff.ready()) {
                Thread.sleep(20);
            }
            int next = 0;
            for (int r = -1; r < rounds; r++) { // round -1 warms both
                for (String strategy : List.of("none", "auto")) {
                    List<String> batch = new ArrayList<>();
                    for (int i = 0; i < clients * 4; i++) {
                        batch.add(prompts.get(next++ % prompts.size()));
                    }
                    boolean offFirst = (r & 1) == 1;
                    double a = offFirst ? 0 : run(eOn, strategy, batch, clients);
                    double b = run(eOff, strategy, batch, clients);
                    if (offFirst) {
                        a = run(eOn, strategy, batch, clients);
                    }
                    if (r >= 0) {
                        System.out.printf("round %d %-4s arena on %6.1f tok/s, off %6.1f tok/s, off / on %.3f%n", r,
                                strategy, a, b, b / a);
                    }
                }
            }
        }
    }

    /** Runs the prompts closed-loop with {@code clients} in flight; returns tokens/s. */
    static double run(Engine e, String strategy, List<String> prompts, int clients) throws InterruptedException {
        AtomicInteger next = new AtomicInteger();
        AtomicInteger tokens = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(prompts.size());
        long t0 = System.nanoTime();
        for (int c = 0; c < clients; c++) {
            submit(e, strategy, prompts, next, tokens, done);
        }
        done.await();
        return tokens.get() / ((System.nanoTime() - t0) / 1e9);
    }

    static void submit(Engine e, String strategy, List<String> prompts, AtomicInteger next, AtomicInteger tokens,
                       CountDownLatch done) {
        int i = next.getAndIncrement();
        if (i >= prompts.size()) {
            return;
        }
        e.submit(new EngineRequest("r" + i, prompts.get(i), 64, SamplingParams.GREEDY, List.of(), strategy, null,
                null, 0), new GenerationObserver() {
                    @Override
                    public void onTokens(int[] t, String delta) {}

                    @Override
                    public void onComplete(GenerationResult result, RequestStats stats) {
                        tokens.addAndGet(result.tokens().length);
                        done.countDown();
                        submit(e, strategy, prompts, next, tokens, done);
                    }

                    @Override
                    public void onError(Throwable error) {
                        error.printStackTrace();
                        done.countDown();
                        submit(e, strategy, prompts, next, tokens, done);
                    }
                });
    }

    static List<String> prompts(Path file) throws Exception {
        Pattern p = Pattern.compile("\"prompt\":\\s*(\"(?:[^\"\\\\]|\\\\.)*\")");
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            Matcher m = p.matcher(line);
            if (m.find()) {
                out.add(new com.fasterxml.jackson.databind.ObjectMapper().readValue(m.group(1), String.class));
            }
        }
        return out;
    }
}
