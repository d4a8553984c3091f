package dev.specserve.controller.adapt;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the bandit's updates off the decision timer, one at a time on its own daemon thread, and reports each
 * one's training and swap seconds to the reward windows. (How many threads one update's training uses is the
 * updater's setting, {@code adaptation_training_threads}.)
 */
final class TrainingExecutor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AdaptationController.class);

    /** What an update took: training seconds, whether it was swapped in, and the swap's stall. */
    record Outcome(double trainingSeconds, boolean swapped, double swapSeconds) {}

    private final AtomicBoolean busy = new AtomicBoolean();
    private final ExecutorService pool;

    TrainingExecutor() {
        pool = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "specserve-adaptation-training");
            t.setDaemon(true);
            return t;
        });
    }

    boolean busy() {
        return busy.get();
    }

    /** Trains decision {@code id} with {@code update}; its outcome goes to {@code rewards}. */
    void submit(String id, Supplier<Outcome> update, EventTimeRewards rewards) {
        busy.set(true);
        pool.execute(() -> {
            Outcome o = new Outcome(0, false, 0);
            try {
                o = update.get();
            } catch (RuntimeException e) {
                LOG.warn("update {} failed: {}", id, e.toString());
            } finally {
                // in event time: just after the newest round seen, as decisions are stamped
                rewards.trained(id, rewards.watermarkMs() + 1, o.trainingSeconds(), o.swapped(), o.swapSeconds());
                busy.set(false);
            }
        });
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
