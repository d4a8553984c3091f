package dev.specserve.controller.adapt;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The adaptation loop's timer tasks, made to survive their failures (a scheduled task that throws is never run
 * again), with each failure logged and counted by task: a failed epoch loses its decision, so it must show.
 */
final class FailedTasks {
    private static final Logger LOG = LoggerFactory.getLogger(AdaptationController.class);
    static final String EPOCH = "epoch";
    static final String REWARDS = "rewards";

    private final Map<String, AtomicLong> failures = new ConcurrentHashMap<>();

    /** {@code task}, catching, logging and counting what it throws under {@code name}. */
    Runnable safely(String name, String what, Runnable task) {
        AtomicLong count = failures.computeIfAbsent(name, k -> new AtomicLong());
        return () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                count.incrementAndGet();
                LOG.warn("{} failed: {}", what, e.toString());
            }
        };
    }

    /** Failures of the task {@code name} so far. */
    long count(String name) {
        AtomicLong c = failures.get(name);
        return c == null ? 0 : c.get();
    }
}
