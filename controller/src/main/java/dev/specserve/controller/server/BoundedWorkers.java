package dev.specserve.controller.server;

import dev.specserve.runtime.engine.QueueFullException;
import dev.specserve.runtime.engine.ServiceUnavailableException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.util.concurrent.Callable;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The serving layer's work on Vert.x worker threads, bounded per kind: the worker pools' queues have no bound of
 * their own and each task holds its request (a body or a prompt, up to megabytes) before any of the engine's own
 * bounds apply, so past {@code max} waiting or running a request is refused with 429. Constraints not compiled yet
 * are compiled on {@value #GRAMMAR_THREADS} workers of their own: compiles (up to a second or so each, and requests
 * for the same one wait for it) must not hold the pool every plain request needs.
 */
final class BoundedWorkers {
    static final int GRAMMAR_THREADS = 2;

    private final int max;
    private final Rejections rejections;
    private final AtomicInteger tokenizing = new AtomicInteger();
    private final AtomicInteger parsing = new AtomicInteger();
    private volatile WorkerExecutor grammarWorkers;

    BoundedWorkers(int max, Rejections rejections) {
        this.max = max;
        this.rejections = rejections;
    }

    /** Tokenizes and queues a request on {@code context}'s workers, or on the grammar workers when it must compile. */
    <T> Future<T> tokenize(Context context, boolean compiles, Callable<T> work) {
        return bounded(tokenizing, "requests waiting to be tokenized", work,
                task -> compiles ? grammarWorkers(context).executeBlocking(task, false)
                        : context.executeBlocking(task, false));
    }

    /** Parses a large body, or renders a chat, on a worker. */
    <T> Future<T> parse(io.vertx.core.Vertx vertx, Callable<T> work) {
        return bounded(parsing, "request bodies waiting to be parsed", work, task -> vertx.executeBlocking(task, false));
    }

    private <T> Future<T> bounded(AtomicInteger count, String what, Callable<T> work,
                                  Function<Callable<T>, Future<T>> pool) {
        if (count.incrementAndGet() > max) {
            count.decrementAndGet();
            return Future.failedFuture(rejections.here(new QueueFullException(max, what)));
        }
        AtomicBoolean held = new AtomicBoolean(true);
        Runnable done = () -> {
            if (held.getAndSet(false)) { // once, whether the work ran or the pool refused it
                count.decrementAndGet();
            }
        };
        try {
            return pool.apply(() -> {
                try {
                    return work.call();
                } finally {
                    done.run();
                }
            }).onComplete(ar -> done.run());
        } catch (RejectedExecutionException e) { // the worker pool is closing: never ran
            done.run();
            return Future.failedFuture(rejections.here(new ServiceUnavailableException(
                    ServiceUnavailableException.SHUTTING_DOWN, "the server is shutting down; retry on another replica")));
        }
    }

    private WorkerExecutor grammarWorkers(Context context) {
        WorkerExecutor w = grammarWorkers;
        if (w == null) {
            synchronized (this) {
                if (grammarWorkers == null) {
                    grammarWorkers = context.owner().createSharedWorkerExecutor("specserve-grammar", GRAMMAR_THREADS);
                }
                w = grammarWorkers;
            }
        }
        return w;
    }
}
