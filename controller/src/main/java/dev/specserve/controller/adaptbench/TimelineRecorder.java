package dev.specserve.controller.adaptbench;

import dev.specserve.controller.adapt.AdaptationController;
import dev.specserve.runtime.engine.EngineListener;
import dev.specserve.runtime.spec.RoundResult;
import java.util.function.Supplier;

/**
 * Fills a policy run's {@link Timeline} from the engine: each round, and the controller's update count polled at
 * each round (updates run beside the engine, so rounds keep coming while one trains).
 */
final class TimelineRecorder implements EngineListener {
    private final Timeline timeline = new Timeline();
    private final Supplier<AdaptationController.Activity> activity;
    private volatile long startNanos = System.nanoTime();

    TimelineRecorder(Supplier<AdaptationController.Activity> activity) {
        this.activity = activity;
    }

    /** Sets time zero: the run's first request. */
    void start(long nanos) {
        startNanos = nanos;
    }

    @Override
    public void onRound(String requestId, String strategy, long version, String domain, RoundResult round,
                        int[] emitted) {
        double now = secondsSinceStart();
        pollUpdates(now);
        timeline.round(now, domain, round.acceptedLength() + 1, version);
    }

    /** Picks up updates that finished after the last round. */
    Timeline finish() {
        pollUpdates(secondsSinceStart());
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
