package dev.specserve.controller.adaptbench;

import dev.specserve.runtime.engine.Engine;
import dev.specserve.runtime.engine.EngineRequest;
import dev.specserve.runtime.engine.GenerationObserver;
import dev.specserve.runtime.engine.RequestStats;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.SamplingParams;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The machine's speed now: tokens/s of a fixed request decoded plainly ({@code none}, greedy), the median of a
 * few, since one alone varies by more than adaptation policies differ. The same work whatever the policy, so a
 * policy's tokens/s ÷ this takes out the VM's drift between policies. Its requests carry the {@value #DOMAIN}
 * domain, which the timeline leaves out.
 */
final class SpeedProbe {
    static final String DOMAIN = "speed-probe";
    private static final int REPEATS = 3;

    private SpeedProbe() {}

    static double measure(Engine engine, String prompt, int maxTokens) throws Exception {
        double[] rates = new double[REPEATS];
        for (int i = 0; i < rates.length; i++) {
            rates[i] = once(engine, prompt, maxTokens);
        }
        Arrays.sort(rates);
        return rates[rates.length / 2];
    }

    private static double once(Engine engine, String prompt, int maxTokens) throws Exception {
        CompletableFuture<Integer> done = new CompletableFuture<>();
        long t0 = System.nanoTime();
        engine.submit(new EngineRequest(DOMAIN + "-" + t0, prompt, maxTokens, SamplingParams.GREEDY, List.of(), "none",
                null, DOMAIN, 0), new GenerationObserver() {
                    @Override
                    public void onTokens(int[] t, String delta) {}

                    @Override
                    public void onComplete(GenerationResult result, RequestStats stats) {
                        done.complete(result.tokens().length);
                    }

                    @Override
                    public void onError(Throwable error) {
                        done.completeExceptionally(error);
                    }
                });
        int n = done.get(1, TimeUnit.MINUTES);
        return n / ((System.nanoTime() - t0) / 1e9);
    }
}
