package dev.specserve.controller.adaptbench;

import dev.specserve.bandit.CostAwareBandit;
import dev.specserve.controller.adapt.AdaptationController;
import dev.specserve.controller.adapt.AdaptationTuning;
import dev.specserve.drafters.DrafterVersion;
import dev.specserve.drafters.ModelStack;
import dev.specserve.drafters.update.LmHead;
import dev.specserve.runtime.engine.Engine;
import dev.specserve.runtime.engine.EngineConfig;
import dev.specserve.runtime.engine.EngineRequest;
import dev.specserve.runtime.engine.GenerationObserver;
import dev.specserve.runtime.engine.RequestStats;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.SamplingParams;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Streams a scenario of requests through a real engine once per adaptation policy (static: never update;
 * periodic-N: update every N finished requests, OSD-style; bandit: the cost-aware loop), one policy after another
 * in one process, starting each from the bundled drafter version. Measures net tokens/s including update time,
 * and the machine's speed just before and after each policy ({@link SpeedProbe}), so ratios can be read with the
 * VM's own drift in speed taken out.
 */
public final class AdaptBench {
    private static final int PROBE_TOKENS = 96;
    /** A phase of the scenario: prompts of one domain at one concurrency. */
    public record Phase(String name, List<String> prompts, int concurrency) {}

    /** One policy's run: its results for the JSON report and the round-by-round timeline behind the charts. */
    public record PolicyRun(String policy, double netTokensPerSecond, Timeline timeline, Map<String, Object> results,
                            Map<String, int[]> outputs) {

        /**
         * Requests whose greedy output differs from {@code reference}'s. Every policy serves the same greedy
         * requests, so any difference would be a swap changing output.
         */
        public long outputsDifferingFrom(PolicyRun reference) {
            return reference.outputs.entrySet().stream()
                    .filter(e -> !java.util.Arrays.equals(e.getValue(), outputs.get(e.getKey())))
                    .count();
        }
    }

    private final ModelStack stack;
    private final int maxTokens;
    private final String strategy;
    private final PrintStream progress;

    /** @param strategy the serving strategy every request runs under ({@code specblock}, {@code auto}, ...) */
    public AdaptBench(ModelStack stack, int maxTokens, String strategy, PrintStream progress) {
        this.stack = stack;
        this.maxTokens = maxTokens;
        this.strategy = strategy;
        this.progress = progress;
    }

    /** The period of a {@code periodic-N} policy (N finished requests between updates), or 0 for another policy. */
    public static int period(String policy) {
        if (!policy.startsWith("periodic-")) {
            return 0;
        }
        try {
            int n = Integer.parseInt(policy.substring("periodic-".length()));
            if (n < 1) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("periodic policy needs a positive period, e.g. periodic-16: " + policy);
        }
    }

    public PolicyRun run(String policy, List<Phase> phases) throws Exception {
        stack.versions().activate(stack.versions().bundled());
        var manifest = stack.manifest();
        LmHead head = LmHead.forDrafter(manifest);
        String drafterId = manifest.name() + "/drafter";
        java.util.concurrent.atomic.AtomicReference<Engine> serving = new java.util.concurrent.atomic.AtomicReference<>();
        AdaptationController controller = new AdaptationController(
                new AdaptationController.Settings(drafterId, Duration.ofSeconds(3), Duration.ofSeconds(8), 48, 0.3, 7),
                stack.versions(), AdaptationTuning.updater(stack.versions(), head, 1),
                new CostAwareBandit(AdaptationTuning.bandit(11, 60)), () -> load(serving.get()), 4, null,
                "bench");
        // serve's defaults (draft budget 6 nodes, depth 4), without the prefix cache: no prompt repeats anyway
        EngineConfig d = EngineConfig.defaults();
        EngineConfig cfg = new EngineConfig(d.maxBatch(), 256, 1024, strategy, d.defaultBudget(), 600_000, 0,
                d.prefixBlockTokens());
        int periodRequests = period(policy);
        AtomicLong failed = new AtomicLong();
        AtomicInteger finished = new AtomicInteger();
        ExecutorService updates = Executors.newSingleThreadExecutor();
        long[] tokens = new long[1];
        Map<String, int[]> outputs = new java.util.concurrent.ConcurrentHashMap<>();
        TimelineRecorder recorder = new TimelineRecorder(controller::activity);
        long start;
        double[] probes = new double[2];
        long end = 0;
        int total = phases.stream().mapToInt(ph -> ph.prompts().size()).sum();
        try (Engine engine = stack.newEngine(cfg)) {
            serving.set(engine);
            engine.addListener(new InProcessFeedback(controller, drafterId));
            engine.addListener(recorder);
            if (policy.equals("bandit")) {
                controller.start();
            } else {
                controller.pause();
            }
            while (!engine.ready()) {
                Thread.sleep(20);
            }
            String probePrompt = phases.get(0).prompts().get(0);
            int probeTokens = Math.min(PROBE_TOKENS, tokensFor(probePrompt));
            probes[0] = SpeedProbe.measure(engine, probePrompt, probeTokens);
            start = System.nanoTime();
            recorder.start(start);
            int n = 0;
            for (Phase phase : phases) {
                Semaphore slots = new Semaphore(phase.concurrency());
                List<CompletableFuture<GenerationResult>> pending = new ArrayList<>();
                for (String prompt : phase.prompts()) {
                    slots.acquire();
                    CompletableFuture<GenerationResult> f = new CompletableFuture<>();
                    pending.add(f);
                    String id = "req-" + n++;
                    engine.submit(new EngineRequest(id, prompt, tokensFor(prompt), SamplingParams.GREEDY, List.of(),
                            strategy, null, phase.name(), 0), new GenerationObserver() {
                                @Override
                                public void onTokens(int[] t, String delta) {}

                                @Override
                                public void onComplete(GenerationResult result, RequestStats stats) {
                                    slots.release();
                                    outputs.put(id, result.tokens());
                                    synchronized (tokens) {
                                        tokens[0] += result.tokens().length;
                                    }
                                    int done = finished.incrementAndGet();
                                    // not after the last request: no request is left to gain from it, only its cost
                                    if (periodRequests > 0 && done % periodRequests == 0 && done < total) {
                                        updates.submit(() -> controller.updateNow(AdaptationTuning.UPDATE_LARGE));
                                    }
                                    f.complete(result);
                                }

                                @Override
                                public void onError(Throwable error) {
                                    slots.release();
                                    failed.incrementAndGet();
                                    f.completeExceptionally(error);
                                }
                            });
                }
                for (CompletableFuture<GenerationResult> f : pending) {
                    try {
                        f.get(10, TimeUnit.MINUTES);
                    } catch (Exception e) {
                        // counted in failed
                    }
                }
                progress.printf("adapt-bench: %s, phase %s done (%d requests)%n", policy, phase.name(),
                        phase.prompts().size());
            }
            controller.pause(); // no training beside the probe: it measures the machine, not the policy
            updates.shutdown();
            updates.awaitTermination(1, TimeUnit.MINUTES);
            while (controller.training()) {
                Thread.sleep(10);
            }
            end = System.nanoTime(); // serving and the training it paid for; not the probe, nor closing the engine
            probes[1] = SpeedProbe.measure(engine, probePrompt, probeTokens);
        } finally {
            updates.shutdown();
            updates.awaitTermination(1, TimeUnit.MINUTES);
            recorder.stop();
            controller.close();
        }
        double seconds = ((end == 0 ? System.nanoTime() : end) - start) / 1e9;
        Timeline timeline = recorder.timeline();
        Map<String, Object> out = PolicyResults.of(policy, tokens[0], seconds, probes, timeline, controller.activity(),
                failed.get(), stack.versions().current().id());
        stack.versions().activate(stack.versions().bundled());
        return new PolicyRun(policy, tokens[0] / seconds, timeline, out, outputs);
    }

    /** {@code maxTokens}, or what the context leaves after a long prompt. */
    private int tokensFor(String prompt) {
        int room = stack.manifest().target().contextLength() - stack.tokenizer().encode(prompt).length;
        return Math.max(1, Math.min(maxTokens, room));
    }

    /** The load the bandit weighs an update against: the engine's running and waiting requests. */
    private static AdaptationController.Load load(Engine engine) {
        return engine == null ? new AdaptationController.Load(0, 0)
                : new AdaptationController.Load(engine.running(), engine.waiting());
    }
}
