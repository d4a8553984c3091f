package dev.specserve.controller.adaptbench;

import dev.specserve.drafters.DrafterConfig;
import dev.specserve.drafters.DrafterVersion;
import dev.specserve.drafters.ModelStack;
import dev.specserve.drafters.update.AdapterObjective;
import dev.specserve.drafters.update.AdapterSample;
import dev.specserve.drafters.update.AdapterTrainer;
import dev.specserve.drafters.update.LmHead;
import dev.specserve.drafters.update.ShadowEvaluator;
import dev.specserve.drafters.update.VerifierLabels;
import dev.specserve.runtime.engine.EngineConfig;
import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.GenerationRequest;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How much an offline adapter update can win, and which settings turn held-out agreement into live
 * acceptance: labels come from greedy decoding of one prompt set with the bundled drafter; each candidate
 * (steps × objective) is trained from scratch on them, scored on labels of a second prompt set, then
 * swapped in to measure τ and first-position acceptance live on that second set.
 */
public final class AdapterSweep {
    /** serve's default draft budget, so the sweep measures what adaptation would change in serving */
    private static final DraftBudget BUDGET = EngineConfig.defaults().defaultBudget();

    private final ModelStack stack;
    private final String strategy;
    private final int maxTokens;
    private final PrintStream progress;

    public AdapterSweep(ModelStack stack, String strategy, int maxTokens, PrintStream progress) {
        this.stack = stack;
        this.strategy = strategy;
        this.maxTokens = maxTokens;
        this.progress = progress;
    }

    /** Live measurements over a prompt set. */
    public record Live(double tau, double firstPositionAcceptance, double tokensPerSecond) {}

    public List<Map<String, Object>> run(List<String> trainPrompts, List<String> evalPrompts, double learningRate,
                                         int batch, List<Integer> steps, List<AdapterObjective> objectives) {
        var m = stack.manifest();
        LmHead head = LmHead.forDrafter(m);
        ShadowEvaluator shadow = new ShadowEvaluator(head);
        DrafterVersion bundled = stack.versions().current();
        List<AdapterSample> train = new ArrayList<>();
        List<AdapterSample> heldOut = new ArrayList<>();
        measure(trainPrompts, train);
        Live base = measure(evalPrompts, heldOut);
        progress.printf("adapter-sweep: %d training labels, %d held-out labels; bundled τ %.3f%n", train.size(),
                heldOut.size(), base.tau());
        List<Map<String, Object>> rows = new ArrayList<>();
        rows.add(row("bundled", 0, AdapterObjective.hardLabels(), 0, shadow.score(bundled.adapter(), heldOut).agreement(),
                base));
        try {
            for (AdapterObjective objective : objectives) {
                for (int s : steps) {
                    long t0 = System.nanoTime();
                    var adapter = new AdapterTrainer(head, learningRate, 0, objective, 1)
                            .train(bundled.adapter(), train, s, batch, 1);
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    stack.versions().activate(stack.versions().create(adapter, bundled.id(), Map.of("sweep", s)));
                    Live live = measure(evalPrompts, new ArrayList<>());
                    stack.versions().activate(bundled);
                    Map<String, Object> r = row("trained", s, objective, seconds,
                            shadow.score(adapter, heldOut).agreement(), live);
                    rows.add(r);
                    progress.printf("adapter-sweep: %s%n", r);
                }
            }
        } finally {
            stack.versions().activate(bundled);
        }
        return rows;
    }

    private Live measure(List<String> prompts, List<AdapterSample> labels) {
        long rounds = 0;
        long emitted = 0;
        long[] firstPosition = new long[2];
        long t0 = System.nanoTime();
        var drafter = stack.strategy(strategy, DrafterConfig.defaults());
        for (String p : prompts) {
            int[] ids = stack.tokenizer().encode(p);
            var result = stack.decoder().generate(GenerationRequest.greedy(ids, maxTokens, BUDGET), drafter,
                    (round, em) -> {
                        firstPosition[0]++;
                        firstPosition[1] += round.acceptedLength() >= 1 ? 1 : 0;
                        labels.addAll(VerifierLabels.samples(VerifierLabels.fromRound(round)));
                    }, () -> false);
            rounds += result.rounds();
            emitted += result.tokens().length;
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new Live((double) emitted / Math.max(1, rounds), (double) firstPosition[1] / Math.max(1, firstPosition[0]),
                emitted / seconds);
    }

    private static Map<String, Object> row(String adapter, int steps, AdapterObjective objective, double seconds,
                                           double agreement, Live live) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("adapter", adapter);
        r.put("steps", steps);
        r.put("label_smoothing", objective.labelSmoothing());
        r.put("anchor", objective.anchor());
        r.put("train_seconds", round(seconds));
        r.put("held_out_agreement", round(agreement));
        r.put("tau", round(live.tau()));
        r.put("first_position_acceptance", round(live.firstPositionAcceptance()));
        r.put("tokens_per_s", round(live.tokensPerSecond()));
        return r;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
