package dev.specserve.telemetry;

import java.util.ArrayList;
import java.util.List;

/** A listener that records what it receives (thread-safe snapshot accessors). */
class CollectingListener implements FeedbackListener {

    private final List<FeedbackEvent> events = new ArrayList<>();
    private final List<TrainingSample> samples = new ArrayList<>();

    @Override
    public synchronized void onEvent(FeedbackEvent event) {
        events.add(event);
    }

    @Override
    public synchronized void onSample(TrainingSample sample) {
        samples.add(sample);
    }

    synchronized List<FeedbackEvent> events() {
        return new ArrayList<>(events);
    }

    synchronized List<TrainingSample> samples() {
        return new ArrayList<>(samples);
    }

    synchronized int eventCount() {
        return events.size();
    }

    synchronized int sampleCount() {
        return samples.size();
    }
}
