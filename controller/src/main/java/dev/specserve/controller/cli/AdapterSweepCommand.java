package dev.specserve.controller.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.specserve.controller.adapt.AdaptationTuning;
import dev.specserve.controller.adaptbench.AdapterSweep;
import dev.specserve.controller.adaptbench.BenchPrompts;
import dev.specserve.drafters.ModelStack;
import dev.specserve.drafters.update.AdapterObjective;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "adapter-sweep", mixinStandardHelpOptions = true,
        description = "Train output adapters offline on verifier labels of one domain's prompts (steps x label "
                + "smoothing x anchor) and measure held-out agreement, tau and first-position acceptance live on other "
                + "prompts of that domain: how much an update can win, and which settings make it show live.")
final class AdapterSweepCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Option(names = "--domain", defaultValue = "B", description = "A (python) or B (java) (default: ${DEFAULT-VALUE}).")
    String domain;

    @Option(names = "--requests", defaultValue = "12",
            description = "Prompts to label, and as many others to evaluate on (default: ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--max-tokens", defaultValue = "64", description = "Tokens per request (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--steps", split = ",", defaultValue = "32,128,512",
            description = "Adam steps per candidate (default: ${DEFAULT-VALUE}).")
    List<Integer> steps;

    @Option(names = "--label-smoothing", split = ",", defaultValue = "0.1",
            description = "Label smoothing values: the share of each label spread uniformly (default: ${DEFAULT-VALUE}).")
    List<Double> smoothings;

    @Option(names = "--anchor", split = ",", defaultValue = "0,0.3",
            description = "Anchor values: the share of each label put on the unadapted drafter's own distribution, "
                    + "a pull toward it; serving uses " + AdaptationTuning.ANCHOR + " (default: ${DEFAULT-VALUE}).")
    List<Double> anchors;

    @Option(names = "--learning-rate", defaultValue = "" + AdaptationTuning.LEARNING_RATE,
            description = "Adam learning rate; serving uses the default (default: ${DEFAULT-VALUE}).")
    double learningRate;

    @Option(names = "--strategy", defaultValue = "specblock-fixed", description = "specblock-fixed or "
            + "specblock-static (a fixed drafting budget, so tau measures the adapter alone), or specblock (the goodput "
            + "planner decides how much of the drafter to use, as when serving) "
            + "(default: ${DEFAULT-VALUE}).")
    String strategy;

    @Option(names = "--json", paramLabel = "OUT", description = "Also write the results as JSON.")
    Path json;

    @Mixin
    ModelOptions models;

    @Override
    public Integer call() throws Exception {
        if (!List.of("A", "B").contains(domain)) {
            throw new IllegalArgumentException("--domain must be A or B, got '" + domain + "'");
        }
        if (!List.of("specblock-fixed", "specblock-static", "specblock").contains(strategy)) {
            throw new IllegalArgumentException("--strategy must be specblock-fixed, specblock-static or specblock, got '"
                    + strategy + "'");
        }
        if (steps.isEmpty() || steps.stream().anyMatch(n -> n < 1)) { // 0 steps would report an untrained "trained" row
            throw new IllegalArgumentException("--steps must all be >= 1, got " + steps);
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("--max-tokens must be >= 1, got " + maxTokens);
        }
        OutputFiles.checkWritable("--json", json); // now, not after the sweep
        List<String> prompts = BenchPrompts.load(domain.equals("A") ? "python-stream.jsonl" : "java-stream.jsonl");
        if (requests < 1 || 2 * requests > prompts.size()) {
            throw new IllegalArgumentException("--requests must be between 1 and " + prompts.size() / 2 + ", got "
                    + requests);
        }
        List<AdapterObjective> objectives = objectives();
        List<Map<String, Object>> rows;
        try (ModelStack stack = models.load()) {
            rows = new AdapterSweep(stack, strategy, maxTokens, System.err).run(prompts.subList(0, requests),
                    prompts.subList(requests, 2 * requests), learningRate, AdaptationTuning.BATCH, steps, objectives);
        }
        System.out.printf("%-8s %6s %9s %6s %8s %9s %6s %8s %8s%n", "adapter", "steps", "smoothing", "anchor",
                "train_s", "agreement", "tau", "accept@1", "tok/s");
        for (Map<String, Object> r : rows) {
            System.out.printf("%-8s %6s %9s %6s %8s %9s %6s %8s %8s%n", r.get("adapter"), r.get("steps"),
                    r.get("label_smoothing"), r.get("anchor"), r.get("train_seconds"), r.get("held_out_agreement"),
                    r.get("tau"), r.get("first_position_acceptance"), r.get("tokens_per_s"));
        }
        if (json != null) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("domain", domain);
            doc.put("strategy", strategy);
            doc.put("machine", Machine.describe("see logs"));
            doc.put("requests", requests);
            doc.put("max_tokens", maxTokens);
            doc.put("learning_rate", learningRate);
            doc.put("results", rows);
            JSON.writeValue(json.toFile(), doc);
        }
        return 0;
    }

    private List<AdapterObjective> objectives() {
        if (!(learningRate > 0)) {
            throw new IllegalArgumentException("--learning-rate must be > 0, got " + learningRate);
        }
        List<AdapterObjective> out = new java.util.ArrayList<>();
        for (double anchor : anchors) {
            for (double smoothing : smoothings) {
                try {
                    out.add(new AdapterObjective(smoothing, anchor));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("--label-smoothing " + smoothing + " with --anchor " + anchor
                            + ": " + e.getMessage());
                }
            }
        }
        return out;
    }
}
