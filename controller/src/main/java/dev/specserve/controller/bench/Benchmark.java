package dev.specserve.controller.bench;

import dev.specserve.drafters.DrafterConfig;
import dev.specserve.drafters.ModelStack;
import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.Drafter;
import dev.specserve.runtime.spec.GenerationRequest;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.SamplingParams;
import dev.specserve.runtime.spec.SpeculativeDecoder;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs every strategy on the same prompts in one process, interleaved prompt by prompt so that machine
 * noise hits all strategies alike, after a warm-up pass. Each strategy has its own decoder (so its own
 * planner and cost models) and fresh drafters after the warm-up, so no strategy learns from another's
 * rounds and no lookup index has seen the measured prompts' outputs before.
 */
public final class Benchmark {
    private final ModelStack stack;
    private final DraftBudget budget;
    private final DrafterConfig config;
    private final PrintStream progress;

    public Benchmark(ModelStack stack, DraftBudget budget, DrafterConfig config, PrintStream progress) {
        this.stack = stack;
        this.budget = budget;
        this.config = config;
        this.progress = progress;
    }

    /**
     * @param strategies must include {@code none}: plain decoding is what every speedup and output is measured against
     * @param prompts each must fit the context with {@code maxTokens} more (see {@link #fits})
     * @param sampling temperature and the other sampling settings every request uses; prompt p gets seed p
     */
    public Map<String, StrategyStats> run(List<String> prompts, List<String> strategies, int maxTokens,
                                          SamplingParams sampling, int warmup) {
        if (!strategies.contains("none")) {
            throw new IllegalArgumentException("the strategies must include 'none', the reference, got " + strategies);
        }
        Map<String, SpeculativeDecoder> decoders = new LinkedHashMap<>();
        for (String s : strategies) {
            decoders.put(s, new SpeculativeDecoder(stack.target(), stack.tokenizer()));
        }
        Map<String, Drafter> drafters = new LinkedHashMap<>();
        for (String s : strategies) {
            drafters.put(s, stack.strategy(s, config));
        }
        for (int w = 0; w < Math.min(warmup, prompts.size()); w++) {
            for (var e : drafters.entrySet()) {
                generate(decoders.get(e.getKey()), prompts.get(w), e.getValue(), Math.min(maxTokens, 32),
                        sampling.withSeed(w), null);
            }
        }
        for (String s : strategies) {
            drafters.put(s, stack.strategy(s, config));
        }
        Map<String, StrategyStats> stats = new LinkedHashMap<>();
        drafters.keySet().forEach(s -> stats.put(s, new StrategyStats(s)));
        long start = System.nanoTime();
        for (int p = 0; p < prompts.size(); p++) {
            Map<String, GenerationResult> results = new LinkedHashMap<>();
            for (var e : drafters.entrySet()) {
                results.put(e.getKey(), generate(decoders.get(e.getKey()), prompts.get(p), e.getValue(), maxTokens,
                        sampling.withSeed(p), stats.get(e.getKey())));
            }
            int[] reference = results.get("none").tokens(); // plain decoding's output, whatever the order
            results.forEach((s, r) -> stats.get(s).addGeneration(r, Arrays.equals(reference, r.tokens())));
            double elapsed = (System.nanoTime() - start) / 1e9;
            progress.printf("bench: prompt %d/%d done, %.0fs elapsed, eta %.0fs%n", p + 1, prompts.size(), elapsed,
                    elapsed / (p + 1) * (prompts.size() - p - 1));
        }
        decoders.forEach((name, d) -> {
            if (drafters.get(name).adaptive()) {
                progress.printf("bench: %s %s%n", name, d.rounds().planner());
            }
        });
        return stats;
    }

    private GenerationResult generate(SpeculativeDecoder decoder, String prompt, Drafter drafter, int maxTokens,
                                      SamplingParams sampling, StrategyStats stats) {
        int[] ids = stack.tokenizer().encode(prompt);
        var request = new GenerationRequest(ids, maxTokens, sampling, List.of(),
                drafter.defaultBudget(budget));
        return decoder.generate(request, drafter, stats == null ? (r, t) -> {} : (r, t) -> stats.addRound(r),
                () -> false);
    }

    /**
     * Whether {@code prompt} and {@code maxTokens} more tokens fit the target's context, as the server requires
     * (load skips the prompts that do not, and so does bench: neither cuts a prompt).
     */
    public boolean fits(String prompt, int maxTokens) {
        return (long) stack.tokenizer().encode(prompt).length + maxTokens <= stack.manifest().target().contextLength();
    }

    /** The README/JSON table; speedups are against {@code none} (null without it). */
    public static List<Map<String, Object>> table(Map<String, StrategyStats> stats, int depth) {
        double base = stats.containsKey("none") ? stats.get("none").tokensPerSecond() : 0;
        List<Map<String, Object>> rows = new ArrayList<>();
        stats.values().forEach(s -> rows.add(s.toJson(base, depth)));
        return rows;
    }
}
