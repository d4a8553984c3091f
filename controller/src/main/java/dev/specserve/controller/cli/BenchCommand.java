package dev.specserve.controller.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.specserve.controller.bench.Benchmark;
import dev.specserve.controller.bench.StrategyStats;
import dev.specserve.drafters.ModelStack;
import dev.specserve.drafters.Strategies;
import dev.specserve.runtime.SpecserveHome;
import dev.specserve.runtime.spec.SamplingParams;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Compare drafting strategies side by side on the same prompts, in one process, interleaved.",
                "Exits 1 when a strategy's greedy output differs from none's (the lossless guarantee broken).",
                "Prompts whose tokens plus --max-tokens exceed the model's context are skipped and counted, as load "
                        + "skips them, never cut."})
final class BenchCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Option(names = "--prompts", paramLabel = "FILE.jsonl",
            description = "One {\"prompt\": ...} per line (default: bench/prompts/python-heldout.jsonl).")
    Path prompts;

    @Option(names = "--strategies", split = ",", defaultValue = "none,ngram,suffix,eagle,specblock-static,specblock-fixed,specblock,hybrid,auto",
            description = "Comma-separated strategies; 'none' (plain decoding) is the speedup and output reference, "
                    + "added when missing (default: ${DEFAULT-VALUE}).")
    List<String> strategies;

    @Option(names = "--max-tokens", defaultValue = "128", description = "Tokens per prompt (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-p", defaultValue = "1", description = "Sampling: top-p (default: ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--top-k", defaultValue = "0", description = "Sampling: top-k, 0 for all tokens (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--min-p", defaultValue = "0", description = "Sampling: min-p (default: ${DEFAULT-VALUE}).")
    double minP;

    @Mixin
    ConstraintOptions constraint;

    @Option(names = "--limit", defaultValue = "0", description = "Use only the first N prompts (0 = all) (default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--warmup", defaultValue = "1", description = "Warm-up prompts per strategy (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--json", paramLabel = "OUT", description = "Also write the results as JSON.")
    Path json;

    @Option(names = "--costs", description = "Only measure a target decode step, a 16-token verify and a drafter "
            + "block forward, interleaved as when serving (medians of 200), and exit; --json writes them. Reads no "
            + "prompts, so --prompts, --strategies and --limit are refused with it.")
    boolean costsOnly;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ModelOptions models;

    @Mixin
    DraftOptions draft;

    @Override
    public Integer call() throws IOException {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("--max-tokens must be >= 1, got " + maxTokens);
        }
        if (limit < 0) {
            throw new IllegalArgumentException("--limit must be >= 0 (0 = all prompts), got " + limit);
        }
        if (warmup < 0) {
            throw new IllegalArgumentException("--warmup must be >= 0, got " + warmup);
        }
        draft.validate();
        OutputFiles.checkWritable("--json", json); // now, not after the whole run
        if (costsOnly) {
            return costs();
        }
        for (String s : strategies) {
            if (!Strategies.NAMES.contains(s)) {
                throw new IllegalArgumentException("unknown strategy '" + s + "'; known: " + Strategies.NAMES);
            }
        }
        if (!strategies.contains("none")) { // the reference of every speedup and of the identical check
            strategies = new ArrayList<>(strategies);
            strategies.add(0, "none");
            System.err.println("bench: adding 'none' to --strategies: plain decoding is what speedups and the "
                    + "identical check are measured against");
        }
        strategies = strategies.stream().distinct().toList();
        Path file = prompts != null ? prompts : SpecserveHome.home().resolve("bench/prompts/python-heldout.jsonl");
        List<String> texts = PromptFiles.read(file);
        if (limit > 0 && texts.size() > limit) {
            texts = texts.subList(0, limit);
        }
        try (ModelStack stack = models.load()) {
            int context = stack.manifest().target().contextLength();
            if (maxTokens > context - 8) {
                throw new IllegalArgumentException("--max-tokens " + maxTokens + " leaves no room for a prompt in this "
                        + "model's context of " + context + " tokens; ask for at most " + (context - 8));
            }
            Benchmark bench = new Benchmark(stack, draft.budget(), draft.config(), System.err);
            int given = texts.size();
            List<Integer> skipped = new ArrayList<>();
            List<String> fitting = new ArrayList<>();
            for (int i = 0; i < texts.size(); i++) {
                if (bench.fits(texts.get(i), maxTokens)) {
                    fitting.add(texts.get(i));
                } else {
                    skipped.add(i + 1);
                }
            }
            if (fitting.isEmpty()) {
                throw new IllegalArgumentException("no prompt of " + file + " fits the model's " + context
                        + "-token context with --max-tokens " + maxTokens + "; lower --max-tokens or give shorter prompts");
            }
            if (!skipped.isEmpty()) { // as load does: a prompt is measured whole or not at all
                System.err.printf("bench: skipped %d of %d prompts whose tokens plus --max-tokens %d exceed the model's "
                        + "%d-token context: prompt%s %s%n", skipped.size(), given, maxTokens, context,
                        skipped.size() == 1 ? "" : "s", skipped.size() <= 20 ? skipped.toString()
                        : skipped.subList(0, 20) + " and " + (skipped.size() - 20) + " more");
            }
            texts = fitting;
            var sampling = new SamplingParams(temperature, topP, 0).withVllmSampling(topK, minP, 1)
                    .withGrammar(constraint.grammar());
            System.err.printf("bench: %d prompts from %s, strategies %s, %d tokens each, temperature %s%s%s%n",
                    texts.size(), file, strategies, maxTokens, temperature, sampling.greedy() ? ""
                            : ", top-p " + topP + ", top-k " + sampling.topK() + ", min-p " + minP,
                    constraint.describe());
            Map<String, StrategyStats> stats = bench.run(texts, strategies, maxTokens, sampling, warmup);
            List<Map<String, Object>> rows = Benchmark.table(stats, Math.min(draft.maxDepth, 8));
            BenchReport.table(rows);
            if (json != null) {
                Map<String, Object> doc = new LinkedHashMap<>();
                doc.put("created", Instant.now().toString());
                doc.put("machine", Machine.describe(stack.sessions().device().name()));
                doc.put("models", stack.manifest().name());
                if (stack.hasDrafter()) { // which drafter file (fp32 or int8, old or new): runs told apart by content
                    var drafter = stack.versions().current().model();
                    doc.put("drafter", Map.of("source", drafter.source(), "fingerprint", drafter.fingerprint()));
                }
                doc.put("lookup_corpus", stack.manifest().lookupCorpus() == null ? "none"
                        : draft.config().suffix().corpus() ? stack.manifest().lookupCorpus().getFileName().toString()
                        : "off (--no-lookup-corpus)");
                doc.put("prompts", file.toString());
                doc.put("prompt_count", texts.size());
                doc.put("prompts_skipped", skipped.size());
                doc.put("max_tokens", maxTokens);
                doc.put("constraint", constraint.name());
                doc.put("temperature", temperature);
                if (!sampling.greedy()) {
                    doc.put("top_p", topP);
                    doc.put("top_k", sampling.topK());
                    doc.put("min_p", minP);
                }
                Map<String, Object> budget = new LinkedHashMap<>(); // in this order every run, for diffs
                budget.put("max_nodes", draft.maxNodes);
                budget.put("max_depth", draft.maxDepth);
                budget.put("max_blocks", draft.maxBlocks);
                budget.put("expand_width", draft.expandWidth);
                budget.put("static_topk", draft.staticTopK);
                budget.put("eagle_topk", draft.eagleTopK);
                doc.put("budget", budget);
                doc.put("results", rows);
                JSON.writeValue(json.toFile(), doc);
                System.err.println("bench: wrote " + json);
            }
            List<String> differing = rows.stream().filter(r -> Boolean.FALSE.equals(r.get("identical_to_ar")))
                    .map(r -> r.get("strategy") + " (" + r.get("identical_outputs") + " of " + r.get("outputs")
                            + " identical)").toList();
            if (!differing.isEmpty() && temperature == 0) { // greedy must equal plain decoding: a broken guarantee fails
                System.err.println("bench: FAILED: greedy output of " + differing + " differs from none's");
                return 1;
            }
            if (!differing.isEmpty()) { // seeded sampling: only float rounding at a draw's boundary may differ
                System.err.println("bench: warning: sampled output of " + differing + " differs from none's for the "
                        + "same seeds; expected only where float rounding moves a draw across a token's boundary");
            }
        }
        return 0;
    }

    /** --costs: forward costs only, printed and (with --json) written; flags about prompts and strategies refused. */
    private int costs() throws IOException {
        var parsed = spec.commandLine().getParseResult();
        List<String> unused = java.util.stream.Stream.of("--prompts", "--strategies", "--limit", "--max-tokens",
                        "--temperature", "--top-p", "--top-k", "--min-p", "--warmup")
                .filter(parsed::hasMatchedOption).toList();
        if (!unused.isEmpty()) {
            throw new IllegalArgumentException("--costs measures forward passes on a synthetic context, so "
                    + String.join(" and ", unused) + " would be ignored; leave " + (unused.size() == 1 ? "it" : "them")
                    + " out");
        }
        try (ModelStack stack = models.load()) {
            if (!stack.hasDrafter()) {
                throw new IllegalArgumentException("--costs times the drafter's block forward, and the model '"
                        + stack.manifest().name() + "' has no drafter");
            }
            BenchReport.costs(stack, dev.specserve.drafters.ForwardCosts.measure(stack, 256, 200), json);
        }
        return 0;
    }
}
