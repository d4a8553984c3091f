package dev.specserve.runtime.spec;

import java.util.List;

/** One completion to generate: prompt token ids, limits, sampling and stop strings. */
public record GenerationRequest(int[] promptIds, int maxTokens, SamplingParams sampling, List<String> stop,
                                DraftBudget budget) {
    public GenerationRequest {
        stop = stop == null ? List.of() : List.copyOf(stop);
    }

    public static GenerationRequest greedy(int[] promptIds, int maxTokens, DraftBudget budget) {
        return new GenerationRequest(promptIds, maxTokens, SamplingParams.GREEDY, List.of(), budget);
    }
}
