package dev.specserve.controller.load;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A closed-loop load generator: at concurrency {@code c}, {@code c} workers each send one request at a time, and
 * the next as soon as the last one ends, until the level's {@code requests} have been sent. A failed request
 * counts as one of them (so a dead server ends the level instead of looping). Request {@code i} of every level
 * uses prompt {@code i mod prompts}, so levels see the same prompts.
 */
public final class LoadGenerator {
    /** What a level has done so far, for progress lines. */
    public record Progress(int concurrency, int done, int total, int failed, long completionTokens, double elapsedSeconds) {}

    /** Called from the generator's thread while a level runs. */
    public interface ProgressListener {
        void onProgress(Progress progress);
    }

    private final CompletionStreamClient client;
    private final List<String> prompts;
    private final long progressIntervalMillis;

    public LoadGenerator(CompletionStreamClient client, List<String> prompts, long progressIntervalMillis) {
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("no prompts");
        }
        this.client = client;
        this.prompts = List.copyOf(prompts);
        this.progressIntervalMillis = progressIntervalMillis;
    }

    /**
     * Runs the levels one after another. Prompts continue through the file across levels rather than restarting
     * at each, so no prompt repeats while the file lasts: a repeat would hit the prefix cache and the lookup
     * index of earlier outputs and flatter the later levels.
     */
    private int promptsUsed;

    public List<LevelReport> run(List<Integer> concurrencies, int requests, ProgressListener progress) {
        List<LevelReport> out = new ArrayList<>();
        for (int c : concurrencies) {
            out.add(runLevel(c, requests, progress));
        }
        return out;
    }

    /** One level: {@code requests} requests by {@code concurrency} closed-loop workers. */
    public LevelReport runLevel(int concurrency, int requests, ProgressListener progress) {
        if (concurrency < 1 || requests < 1) {
            throw new IllegalArgumentException("concurrency and requests must be >= 1, got " + concurrency + " and " + requests);
        }
        RequestResult[] results = new RequestResult[requests];
        int offset = promptsUsed;
        promptsUsed += requests;
        AtomicInteger next = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicLong tokens = new AtomicLong();
        int workers = Math.min(concurrency, requests);
        ExecutorService pool = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "load-c" + concurrency);
            t.setDaemon(true);
            return t;
        });
        long start = System.nanoTime();
        AtomicLong end = new AtomicLong(start);
        try {
            CompletableFuture<?>[] running = new CompletableFuture<?>[workers];
            for (int w = 0; w < workers; w++) {
                running[w] = CompletableFuture.runAsync(() -> {
                    for (int i = next.getAndIncrement(); i < requests; i = next.getAndIncrement()) {
                        RequestResult r = client.complete(prompts.get((offset + i) % prompts.size()));
                        results[i] = r;
                        if (r.ok()) {
                            tokens.addAndGet(r.completionTokens());
                        } else {
                            failed.incrementAndGet();
                        }
                        end.accumulateAndGet(System.nanoTime(), Math::max);
                        done.incrementAndGet();
                    }
                }, pool);
            }
            CompletableFuture<Void> all = CompletableFuture.allOf(running);
            while (true) {
                try {
                    all.get(progressIntervalMillis, TimeUnit.MILLISECONDS);
                    break;
                } catch (TimeoutException e) {
                    if (progress != null) {
                        progress.onProgress(new Progress(concurrency, done.get(), requests, failed.get(), tokens.get(),
                                (System.nanoTime() - start) / 1e9));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted during the c=" + concurrency + " level", e);
                } catch (ExecutionException e) {
                    throw new IllegalStateException("a load worker died", e.getCause());
                }
            }
        } finally {
            pool.shutdownNow();
        }
        return LevelReport.of(concurrency, Arrays.asList(results), end.get() - start);
    }
}
