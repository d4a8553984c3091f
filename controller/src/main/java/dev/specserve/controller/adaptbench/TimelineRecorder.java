package dev.specserve.controller.adaptbench;

import dev.specserve.controller.adapt.AdaptationController;
import dev.specserve.runtime.engine.EngineListener;
import dev.specserve.runtime.spec.RoundResult;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Fills a policy run's {@link Timeline} from the engine: each round, and the controller's update count. Updates
 * run beside the engine, so the count is polled at each round (to order an update before the swap it causes)
 * and every {@value #POLL_MILLIS} ms (to time updates that end while no rounds run, e.g. after the last request).
 */
final class TimelineRecorder implements EngineListener {
    private static final long POLL_MILLIS = 50;

    private final Timeline timeline = new Timeline();
    private final Supplier<AdaptationController.Activity> activity;
    private final ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "adapt-bench-timeline");
        t.setDaemon(true);
        return t;
    });
    private volatile long startNanos = System.nanoTime();

    TimelineRecorder(Supplier<AdaptationController.Activity> activity) {
        this.activity = activity;
    }

    /** Sets time zero (the run's first request) and starts polling. */
    void start(long nanos) {
        startNanos = nanos;
        poller.scheduleAtFixedRate(() -> pollUpdates(secondsSinceStart()), POLL_MILLIS, POLL_MILLIS,
                TimeUnit.MILLISECONDS);
    }

    @Override
    public void onRound(String requestId, String strategy, long version, String domain, RoundResult round,
                        int[] emitted) {
        if (SpeedProbe.DOMAIN.equals(domain)) {
            return; // the machine's speed probe, not the scenario
        }
        double now = secondsSinceStart();
        pollUpdates(now);
        timeline.round(new Timeline.Round(now, domain, round.acceptedLength() + 1, version, round.tree().size(),
                round.draftNanos() / 1e6, round.verifyNanos() / 1e6));
    }

    /** Stops polling after one last look; call once every update has finished. */
    void stop() {
        poller.shutdownNow();
        pollUpdates(secondsSinceStart());
    }

    Timeline timeline() {
        return timeline;
    }

    private void pollUpdates(double now) {
        AdaptationController.Activity a = activity.get();
        timeline.updatesSoFar(now, a.updates(), a.updateSeconds());
    }

    private double secondsSinceStart() {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
