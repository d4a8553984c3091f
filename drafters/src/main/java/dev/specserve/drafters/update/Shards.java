package dev.specserve.drafters.update;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Maps a function over contiguous shards of a list: shard 0 on the calling thread, the others on {@code threads-1}
 * daemon helpers that are created on first use and gone after 30 idle seconds, so nothing needs closing.
 * Results come back in shard order, so a caller that adds them up gets the same sum for the same shard count.
 */
final class Shards {
    private final int threads;
    private final String threadName;
    private ExecutorService helpers;

    Shards(int threads, String threadName) {
        this.threads = threads;
        this.threadName = threadName;
    }

    /** {@code list} cut into {@code n} contiguous views of near-equal size. */
    static <S> List<List<S>> cut(List<S> list, int n) {
        List<List<S>> cuts = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            cuts.add(list.subList(k * list.size() / n, (k + 1) * list.size() / n));
        }
        return cuts;
    }

    <S, T> List<T> map(List<List<S>> cuts, Function<List<S>, T> f) {
        List<Future<T>> rest = new ArrayList<>(cuts.size() - 1);
        for (List<S> cut : cuts.subList(1, cuts.size())) {
            rest.add(helpers().submit(() -> f.apply(cut)));
        }
        List<T> out = new ArrayList<>(cuts.size());
        out.add(f.apply(cuts.get(0)));
        try {
            for (Future<T> r : rest) {
                out.add(r.get());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(threadName + " interrupted", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
        return out;
    }

    private synchronized ExecutorService helpers() {
        if (helpers == null) {
            int n = Math.max(1, threads - 1);
            ThreadPoolExecutor pool = new ThreadPoolExecutor(n, n, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, threadName);
                t.setDaemon(true);
                return t;
            });
            pool.allowCoreThreadTimeOut(true);
            helpers = pool;
        }
        return helpers;
    }
}
