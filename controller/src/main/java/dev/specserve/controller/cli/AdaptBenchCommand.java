package dev.specserve.controller.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.specserve.controller.adaptbench.AdaptBench;
import dev.specserve.controller.adaptbench.BenchPrompts;
import dev.specserve.controller.adaptbench.RepeatSummary;
import dev.specserve.controller.adaptbench.ReportCharts;
import dev.specserve.controller.adaptbench.TimelineCsv;
import dev.specserve.drafters.ModelStack;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "adapt-bench", mixinStandardHelpOptions = true,
        description = "Stream a drift, stationary or bursty scenario through the engine once per adaptation policy "
                + "(static, periodic-N, bandit), --repeat times in one process, and compare net tokens/s including "
                + "update time: each policy's ratio to static per run and the median.")
final class AdaptBenchCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** Each policy run and the summary go to stdout as one JSON line, which jq and a script can read. */
    private static final ObjectMapper LINE = new ObjectMapper();

    @Option(names = "--scenario", defaultValue = "drift",
            description = "drift (N requests of domain A, then 3N of B, --clients concurrent), stationary (2N of A) or bursty "
                    + "(N/2 of A, then 3N of B; 4 concurrent requests, then 1 for the middle N of B, then 4 again) "
                    + "(default: ${DEFAULT-VALUE}).")
    String scenario;

    @Option(names = "--policies", split = ",", defaultValue = "static,periodic,bandit,control",
            description = "Policies to run: static, bandit, periodic-N, periodic (one periodic-N per --periods), or "
                    + "control (static once more, at the other end of the order: how much identical work varies; "
                    + "the summary names the ratios beyond that noise) (default: ${DEFAULT-VALUE}).")
    List<String> policies;

    @Option(names = "--repeat", defaultValue = "1",
            description = "Run the scenario this many times in one process, every other time with the policies in "
                    + "reverse order; ratios are reported per run and as the median (default: ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--strategy", defaultValue = "specblock",
            description = "Serving strategy of every request, e.g. specblock or auto (default: ${DEFAULT-VALUE}).")
    String strategy;

    @Option(names = "--clients", paramLabel = "N",
            description = "Concurrent requests of drift and stationary (default: 2). At 1 the engine serves one "
                    + "stream, the latency-bound regime where a better drafter turns into throughput; bursty has its "
                    + "own levels (4, 1, 4) and refuses this option.")
    Integer clients;

    @Option(names = "--requests", defaultValue = "32",
            description = "N, the scenario's unit of requests, from bench/prompts/*-stream.jsonl (held-out files; "
                    + "85 A and 96 B prompts, never repeated within a run) (default: ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--max-tokens", defaultValue = "192", description = "Tokens per request, fewer where a long prompt leaves less of the context (default: ${DEFAULT-VALUE}, so each phase lasts long enough for an update to pay back; README).")
    int maxTokens;

    @Option(names = "--periods", split = ",", defaultValue = "8,16,32,64",
            description = "Periods of the 'periodic' policy: one periodic-N per N, updating every N finished requests; "
                    + "the best of them in hindsight is named in the report (default: ${DEFAULT-VALUE}).")
    List<Integer> periods;

    @Option(names = "--json", paramLabel = "OUT", description = "Also write the results as JSON.")
    Path json;

    @Option(names = "--report", paramLabel = "OUT_DIR",
            description = "Also write charts into OUT_DIR (created if missing): tau-<scenario>.png (tau over time per "
                    + "policy, with updates, swaps, rollbacks and phases marked), throughput-<scenario>.png (net "
                    + "tokens/s per policy), and timeline-<scenario>-<policy>.csv (every round and event); with "
                    + "--repeat, of the last run (the JSON has every run's figures).")
    Path report;

    @Mixin
    ModelOptions models;

    @Override
    public Integer call() throws Exception {
        List<String> a = BenchPrompts.load("python-stream.jsonl");
        List<String> b = BenchPrompts.load("java-stream.jsonl");
        // every count first: a bad one must not fail after minutes of warm-up and the first policy
        if (requests < 1) {
            throw new IllegalArgumentException("--requests must be >= 1, got " + requests);
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("--max-tokens must be >= 1, got " + maxTokens);
        }
        if (periods.stream().anyMatch(n -> n < 1)) {
            throw new IllegalArgumentException("--periods must all be >= 1, got " + periods);
        }
        if (clients != null && (clients < 1 || scenario.equals("bursty"))) {
            throw new IllegalArgumentException(clients < 1 ? "--clients must be >= 1, got " + clients
                    : "--clients applies to drift and stationary; bursty runs its own levels (4, 1, 4)");
        }
        int c = clients == null ? 2 : clients;
        List<AdaptBench.Phase> phases = switch (scenario) {
            case "drift" -> List.of(new AdaptBench.Phase("A", slice(a, 0, 1), c),
                    new AdaptBench.Phase("B", slice(b, 0, 3), c));
            case "stationary" -> List.of(new AdaptBench.Phase("A", slice(a, 0, 1), c),
                    new AdaptBench.Phase("A2", slice(a, 1, 1), c));
            case "bursty" -> List.of(new AdaptBench.Phase("A-high", slice(a, 0, 0.5), 4),
                    new AdaptBench.Phase("B-high", slice(b, 0, 1), 4),
                    new AdaptBench.Phase("B-low", slice(b, 1, 1), 1),
                    new AdaptBench.Phase("B-high2", slice(b, 2, 1), 4));
            default -> throw new IllegalArgumentException("--scenario must be drift, stationary or bursty, got '"
                    + scenario + "'");
        };
        OutputFiles.checkWritable("--json", json); // now, not after a long run
        if (report != null) {
            if (Files.exists(report) && !Files.isDirectory(report)) {
                throw new IllegalArgumentException("--report " + report + " is a file, not a directory");
            }
            Files.createDirectories(report); // now, not after a long run: an unusable OUT_DIR fails fast
        }
        List<String> expanded = new ArrayList<>();
        for (String p : policies) {
            if (p.equals("periodic")) {
                periods.forEach(n -> expanded.add("periodic-" + n));
            } else if (p.equals("control")) {
                expanded.add(RepeatSummary.CONTROL);
            } else if (p.equals("static") || p.equals("bandit") || AdaptBench.period(p) > 0) {
                expanded.add(p);
            } else {
                throw new IllegalArgumentException("unknown policy '" + p + "'; known: static, periodic, periodic-N, bandit, "
                        + "control");
            }
        }
        if (repeat < 1) {
            throw new IllegalArgumentException("--repeat must be >= 1");
        }
        List<List<AdaptBench.PolicyRun>> all = new ArrayList<>();
        try (ModelStack stack = models.load()) {
            AdaptBench bench = new AdaptBench(stack, maxTokens, strategy, System.err);
            // Without this the first policy would also pay for JIT compilation and ORT's first allocations: up to
            // 20 A prompts that no scenario uses, results discarded (8 left run 1's first policy measurably slow)
            int warm = Math.min(20, Math.max(8, a.size() - 2 * requests));
            bench.run("static", List.of(new AdaptBench.Phase("warm-up", a.subList(a.size() - warm, a.size()), 2)));
            for (int r = 0; r < repeat; r++) {
                // every other run goes through the policies backwards, so a drift in machine speed during a
                // run does not always favour the same end of the list
                List<String> order = new ArrayList<>(expanded);
                if (r % 2 == 1) {
                    java.util.Collections.reverse(order);
                }
                List<AdaptBench.PolicyRun> runs = new ArrayList<>();
                for (String p : order) {
                    AdaptBench.PolicyRun run = bench.run(p, phases);
                    run.results().put("run", r + 1);
                    runs.add(run);
                    System.out.println(LINE.writeValueAsString(run.results()));
                }
                runs.sort(java.util.Comparator.comparingInt(run -> expanded.indexOf(run.policy())));
                for (AdaptBench.PolicyRun run : runs.subList(1, runs.size())) {
                    run.results().put("outputs_differing_from_" + runs.get(0).policy(),
                            run.outputsDifferingFrom(runs.get(0)));
                }
                all.add(runs);
            }
        }
        Map<String, Object> summary = RepeatSummary.of(all);
        System.out.println(LINE.writeValueAsString(summary));
        if (json != null) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("scenario", scenario);
            doc.put("strategy", strategy);
            doc.put("machine", Machine.describe("see logs"));
            doc.put("requests_unit", requests);
            doc.put("clients", phases.stream().map(AdaptBench.Phase::concurrency).toList());
            doc.put("max_tokens", maxTokens);
            doc.put("repeat", repeat);
            doc.put("results", all.get(0).stream().map(AdaptBench.PolicyRun::results).toList());
            doc.put("runs", all.stream().map(rs -> rs.stream().map(AdaptBench.PolicyRun::results).toList()).toList());
            doc.put("summary", summary);
            JSON.writeValue(json.toFile(), doc);
        }
        if (report != null) {
            writeReport(all.get(all.size() - 1)).forEach(p -> System.out.println("wrote " + p));
        }
        long failed = ((Number) summary.getOrDefault("failed_requests", 0)).longValue();
        long differing = all.stream().flatMap(List::stream).mapToLong(run -> run.results().entrySet().stream()
                .filter(e -> e.getKey().startsWith("outputs_differing_from_"))
                .mapToLong(e -> ((Number) e.getValue()).longValue()).sum()).sum();
        if (failed > 0 || differing > 0) { // as load does: the report is written, the run still failed
            System.err.printf("adapt-bench: FAILED: %d failed requests, %d outputs differing between policies%n",
                    failed, differing);
            return 1;
        }
        return 0;
    }

    private List<Path> writeReport(List<AdaptBench.PolicyRun> runs) throws IOException {
        List<Path> written = new ArrayList<>(ReportCharts.write(report, scenario, runs));
        for (AdaptBench.PolicyRun run : runs) {
            Path csv = report.resolve("timeline-" + scenario + "-" + run.policy() + ".csv");
            TimelineCsv.write(run.timeline(), csv);
            written.add(csv);
        }
        return written;
    }

    /** {@code length} × --requests prompts starting at {@code start} × --requests: phases never repeat a prompt. */
    private List<String> slice(List<String> prompts, double start, double length) {
        int from = (int) Math.round(start * requests);
        int to = from + (int) Math.round(length * requests);
        if (to > prompts.size()) {
            throw new IllegalArgumentException("--requests " + requests + " needs " + to + " prompts of one domain for "
                    + "scenario " + scenario + ", but the stream file has " + prompts.size());
        }
        return prompts.subList(from, to);
    }
}
