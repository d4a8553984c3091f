package dev.specserve.controller.adaptbench;

import dev.specserve.controller.adapt.AdaptationController;
import dev.specserve.drafters.update.VerifierLabels;
import dev.specserve.runtime.engine.EngineListener;
import dev.specserve.runtime.spec.RoundResult;
import dev.specserve.controller.feedback.RoundEvents;
import dev.specserve.telemetry.TrainingSample;
import java.util.ArrayList;
import java.util.List;

/** Hands each round straight to an adaptation controller (the embedded, one-JVM path without a broker hop). */
final class InProcessFeedback implements EngineListener {
    private final AdaptationController controller;
    private final String drafterId;

    InProcessFeedback(AdaptationController controller, String drafterId) {
        this.controller = controller;
        this.drafterId = drafterId;
    }

    @Override
    public void onRound(String requestId, String strategy, long version, String domain, RoundResult round, int[] emitted) {
        if (version == 0) {
            return;
        }
        controller.onRound(RoundEvents.of(round, "bench", requestId, strategy, drafterId, version, domain));
        List<VerifierLabels.Label> labels = VerifierLabels.fromRound(round);
        if (labels.isEmpty()) {
            return;
        }
        int dim = labels.get(0).hidden().length;
        float[] hidden = new float[labels.size() * dim];
        int[] tokens = new int[labels.size()];
        boolean[] valid = new boolean[labels.size()];
        int[] depths = new int[labels.size()];
        for (int i = 0; i < labels.size(); i++) {
            System.arraycopy(labels.get(i).hidden(), 0, hidden, i * dim, dim);
            tokens[i] = labels.get(i).targetToken();
            valid[i] = true;
            depths[i] = labels.get(i).depth();
        }
        controller.onSample(new TrainingSample(requestId, round.index(), drafterId, version, dim, hidden, tokens, valid,
                depths));
    }
}
