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

    /** @param sampling temperature and the other sampling settings every request uses; prompt p gets seed p */
    public Map<String, StrategyStats> run(List<String> prompts, List<String> strategies, int maxTokens,
                                          SamplingParams sampling, int warmup) {
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
            int[] reference = null;
            for (var e : drafters.entrySet()) {
                StrategyStats st = stats.get(e.getKey());
                GenerationResult r = generate(decoders.get(e.getKey()), prompts.get(p), e.getValue(), maxTokens,
                        sampling.withSeed(p), st);
                if (reference == null) {
                    reference = r.tokens();
                }
                st.addGeneration(r, Arrays.equals(reference, r.tokens()));
            }
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
        int limit = stack.manifest().target().contextLength() - maxTokens - 1;
        if (ids.length > limit) {
            ids = Arrays.copyOfRange(ids, ids.length - limit, ids.length);
        }
        var request = new GenerationRequest(ids, maxTokens, sampling, List.of(),
                drafter.defaultBudget(budget));
        return decoder.generate(request, drafter, stats == null ? (r, t) -> {} : (r, t) -> stats.addRound(r),
                () -> false);
    }

    /** The README/JSON table. The first strategy is the baseline for speedups (normally {@code none}). */
    public static List<Map<String, Object>> table(Map<String, StrategyStats> stats, int depth, boolean greedy) {
        double base = stats.containsKey("none") ? stats.get("none").tokensPerSecond()
                : stats.values().iterator().next().tokensPerSecond();
        List<Map<String, Object>> rows = new ArrayList<>();
        stats.values().forEach(s -> rows.add(s.toJson(base, depth, greedy)));
        return rows;
    }
}
