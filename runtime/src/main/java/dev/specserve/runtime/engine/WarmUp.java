package dev.specserve.runtime.engine;

import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.Drafter;
import dev.specserve.runtime.spec.GenerationRequest;
import dev.specserve.runtime.spec.SpeculativeDecoder;
import dev.specserve.runtime.tokenizer.TextTokenizer;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * The engine's warm-up: a short greedy generation under every strategy, so no request pays the first, cold forwards
 * and the planner's cost model does not start from them. A close stops it between forwards (the models close once
 * the engine thread ends).
 */
final class WarmUp {
    private WarmUp() {}

    static void run(SpeculativeDecoder decoder, TextTokenizer tokenizer, List<String> strategies,
                    Function<String, Drafter> drafters, DraftBudget budget, BooleanSupplier closed) {
        int[] ids = tokenizer.encode("def main():\n");
        decoder.rounds().calibrateAfter(() -> {
            for (String s : strategies) {
                if (closed.getAsBoolean()) {
                    return;
                }
                decoder.generate(GenerationRequest.greedy(ids, 4, budget), drafters.apply(s), (r, t) -> {}, closed);
            }
        }, closed);
    }
}
