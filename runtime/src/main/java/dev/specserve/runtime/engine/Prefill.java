package dev.specserve.runtime.engine;

import dev.specserve.runtime.kv.KvPool;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How one scheduler iteration admits prompt tokens around its round (chunked prefill). With nothing decoding
 * there is nobody to stall, so whole prompts go in at once. Otherwise a chunk per iteration, in one of two ways:
 * <ul>
 *   <li>between rounds, on the scheduler thread: each chunk (at most {@code prefillChunkTokens}) adds its time
 *       to the running streams' inter-token time;</li>
 *   <li>with {@code prefillOverlap}, beside the round on a second thread: the chunk is sized to take about as
 *       long as a round (the recent round time over the recent prefill time per token, at least
 *       {@link #MIN_CHUNK}, at most {@code prefillChunkTokens}), since the next round waits for both; so
 *       admitting a prompt costs the running streams a busier machine rather than a stall. The chunks' rows are
 *       reserved in the pool first and the chunks hold the pool's layout fixed, so a slot move the round makes
 *       meanwhile (a finished sequence leaving) waits for the chunk in flight; promotions happen on the
 *       scheduler thread once both are done.</li>
 * </ul>
 * All bookkeeping (slots, promotions, first tokens, failures) stays on the scheduler thread.
 */
final class Prefill implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Prefill.class);
    static final int MIN_CHUNK = 16;
    private static final double SMOOTHING = 0.2;

    /** What the scheduler does with a sequence whose prefill ended: its first token, or its failure. */
    interface Outcomes {
        void finished(Running a);

        void failed(Running a, RuntimeException e);
    }

    private record Chunk(Running seq, int tokens) {}

    private record Result(boolean done, RuntimeException failure, int tokens, long nanos) {}

    private final int maxChunk;
    private final KvPool pool;
    private final SlotTable<Running> slots;
    private final EngineListeners listeners;
    private final Outcomes outcomes;
    private final ExecutorService beside; // null: chunks run between rounds
    private double roundNanos;
    private double nanosPerToken;

    Prefill(EngineConfig config, KvPool pool, SlotTable<Running> slots, EngineListeners listeners, Outcomes outcomes) {
        this.maxChunk = config.prefillChunkTokens();
        this.pool = pool;
        this.slots = slots;
        this.listeners = listeners;
        this.outcomes = outcomes;
        this.beside = config.prefillOverlap() ? Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "specserve-prefill");
            t.setDaemon(true);
            return t;
        }) : null;
    }

    boolean overlapping() {
        return beside != null;
    }

    /** This iteration's prefill and {@code round}, in turn or side by side; reports both busy times. */
    void iterate(Runnable round) {
        if (beside != null && !slots.decoding().isEmpty() && !slots.prefilling().isEmpty()) {
            besideRound(round);
            return;
        }
        long t0 = System.nanoTime();
        List<Chunk> chunks = plan(slots.decoding().isEmpty() ? Integer.MAX_VALUE : maxChunk);
        for (Chunk c : chunks) {
            conclude(c.seq(), run(c));
        }
        long t1 = System.nanoTime();
        round.run();
        long t2 = System.nanoTime();
        listeners.notify(l -> l.onBusy("prefill", t1 - t0));
        listeners.notify(l -> l.onBusy("round", t2 - t1));
        if (!slots.decoding().isEmpty()) {
            observeRound(t2 - t1);
        }
    }

    private void besideRound(Runnable round) {
        List<Chunk> chunks = plan(chunkTokens());
        for (Chunk c : chunks) {
            pool.reserve(c.seq().seq.cache().length() + c.tokens());
        }
        long t0 = System.nanoTime();
        Future<List<Result>> running = beside.submit(() -> chunks.stream()
                .map(c -> run(c, () -> pool.withLayoutFixed(() -> c.seq().seq.prefill(c.tokens())))).toList());
        Throwable roundFailure = null;
        try {
            round.run();
        } catch (RuntimeException | Error e) { // an Error too (out of memory): the chunks still hold their slots
            roundFailure = e; // rethrown once the chunks are done: nothing may free their slots before
        }
        long t1 = System.nanoTime();
        List<Result> results;
        try {
            results = awaitUninterruptibly(running);
        } finally {
            pool.endReservations();
        }
        long busy = 0;
        for (int i = 0; i < chunks.size(); i++) {
            busy += results.get(i).nanos();
            conclude(chunks.get(i).seq(), results.get(i));
        }
        long prefillNanos = busy;
        listeners.notify(l -> l.onBusy("prefill", prefillNanos));
        listeners.notify(l -> l.onBusy("round", t1 - t0));
        observeRound(t1 - t0);
        if (roundFailure instanceof Error e) {
            throw e;
        }
        if (roundFailure != null) {
            throw (RuntimeException) roundFailure;
        }
    }

    /** The oldest prefilling sequences' next chunks within {@code budget} tokens (only the last may stay unfinished). */
    private List<Chunk> plan(int budget) {
        List<Chunk> chunks = new ArrayList<>();
        for (Running a : slots.prefilling()) {
            if (budget <= 0) {
                break;
            }
            int n = Math.min(budget, a.seq.prefillRemaining());
            budget -= n;
            chunks.add(new Chunk(a, n));
        }
        return chunks;
    }

    private Result run(Chunk c) {
        return run(c, () -> c.seq().seq.prefill(c.tokens()));
    }

    private Result run(Chunk c, BooleanSupplier prefill) {
        long t0 = System.nanoTime();
        try {
            boolean done = prefill.getAsBoolean();
            return new Result(done, null, c.tokens(), System.nanoTime() - t0);
        } catch (RuntimeException e) {
            return new Result(false, e, c.tokens(), System.nanoTime() - t0);
        }
    }

    /** In plan order, so a finished sequence is always the oldest prefilling one (it sits in slot D: no move). */
    private void conclude(Running a, Result r) {
        if (r.failure() != null) {
            LOG.warn("request {} failed in prefill: {}", a.id(), r.failure().toString());
            outcomes.failed(a, r.failure());
            return;
        }
        observePrefill(r.tokens(), r.nanos());
        if (r.done() && !a.released) {
            slots.promoteOldest();
            outcomes.finished(a);
        }
    }

    /** Tokens to prefill beside the next round. */
    int chunkTokens() {
        int floor = Math.min(MIN_CHUNK, maxChunk);
        if (roundNanos <= 0 || nanosPerToken <= 0) {
            return floor;
        }
        return (int) Math.max(floor, Math.min(maxChunk, roundNanos / nanosPerToken));
    }

    private void observeRound(long nanos) {
        roundNanos = roundNanos <= 0 ? nanos : roundNanos + SMOOTHING * (nanos - roundNanos);
    }

    private void observePrefill(int tokens, long nanos) {
        double perToken = (double) nanos / Math.max(1, tokens);
        nanosPerToken = nanosPerToken <= 0 ? perToken : nanosPerToken + SMOOTHING * (perToken - nanosPerToken);
    }

    private static <T> T awaitUninterruptibly(Future<T> f) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return f.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    throw new IllegalStateException("prefill thread failed", e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        if (beside != null) {
            beside.shutdownNow();
        }
    }
}
