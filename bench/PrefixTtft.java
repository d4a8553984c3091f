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
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Engine-level time to first token (no HTTP) for a prompts file, with the prefix cache off (cold) and on,
 * requests alternating between the two engines so machine noise hits both alike. Not a test; run with
 *
 *   java -cp controller/target/specserve.jar bench/PrefixTtft.java models/demo PROMPTS.jsonl
 */
public class PrefixTtft {
    public static void main(String[] args) throws Exception {
        List<String> prompts = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(args[1]))) {
            prompts.add(PrefixPromptsJson.prompt(line));
        }
        try (ModelStack stack = ModelStack.load(Path.of(args[0]), ExecutionDevice.CPU, dev.specserve.runtime.ort.IntraOpThreads.resolve("auto"))) {
            EngineConfig d = EngineConfig.defaults();
            EngineConfig cold = new EngineConfig(4, 64, 512, "none", d.defaultBudget(), 60_000, 0, d.prefixBlockTokens());
            EngineConfig warm = new EngineConfig(4, 64, 512, "none", d.defaultBudget(), 60_000, 256L << 20,
                    d.prefixBlockTokens());
            try (Engine a = stack.newEngine(cold); Engine b = stack.newEngine(warm)) {
                while (!a.ready() || !b.ready()) {
                    Thread.sleep(20);
                }
                double[] ca = new double[prompts.size() - 2];
                double[] cb = new double[prompts.size() - 2];
                int hit = 0;
                for (int i = 0; i < prompts.size(); i++) {
                    RequestStats sa = run(a, "a" + i, prompts.get(i));
                    RequestStats sb = run(b, "b" + i, prompts.get(i));
                    if (i >= 2) {       // the first two fill the cache, as the load generator's warm-up does
                        ca[i - 2] = sa.timeToFirstTokenNanos() / 1e6;
                        cb[i - 2] = sb.timeToFirstTokenNanos() / 1e6;
                        hit = sb.prefixCacheHitTokens();
                    }
                }
                Arrays.sort(ca);
                Arrays.sort(cb);
                System.out.printf("requests %d, cached prefix %d tokens: TTFT p50 cold %.1f ms, cached %.1f ms (%.2fx); "
                        + "min cold %.1f, cached %.1f%n", ca.length, hit, ca[ca.length / 2], cb[cb.length / 2],
                        cb[cb.length / 2] / ca[ca.length / 2], ca[0], cb[0]);
            }
        }
    }

    static RequestStats run(Engine e, String id, String prompt) throws Exception {
        CompletableFuture<RequestStats> done = new CompletableFuture<>();
        e.submit(new EngineRequest(id, prompt, 1, SamplingParams.GREEDY, List.of(), "none", null, null, 0),
                new GenerationObserver() {
                    @Override
                    public void onTokens(int[] tokens, String textDelta) {}

                    @Override
                    public void onComplete(GenerationResult result, RequestStats stats) {
                        done.complete(stats);
                    }

                    @Override
                    public void onError(Throwable error) {
                        done.completeExceptionally(error);
                    }
                });
        return done.get(60, TimeUnit.SECONDS);
    }
}

class PrefixPromptsJson {
    static String prompt(String line) {
        int start = line.indexOf("\"prompt\": \"") + 11;
        StringBuilder sb = new StringBuilder();
        for (int i = start; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '"') {
                break;
            }
            if (c == '\\') {
                char n = line.charAt(++i);
                switch (n) {
                    case 'n' -> sb.append('\n');
                    case 't' -> sb.append('\t');
                    case 'u' -> { sb.append((char) Integer.parseInt(line.substring(i + 1, i + 5), 16)); i += 4; }
                    default -> sb.append(n);
                }
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
