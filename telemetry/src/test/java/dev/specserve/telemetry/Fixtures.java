package dev.specserve.telemetry;

import java.util.Map;
import java.util.Random;

/** Sample events and training samples for the tests. */
final class Fixtures {

    private Fixtures() {
    }

    static RoundEvent round(String drafterId, String requestId, int round, int accepted) {
        return RoundEvent.builder()
                .timestampMs(1_767_225_600_000L + round)
                .replicaId("replica-a")
                .requestId(requestId)
                .round(round)
                .strategy("tree")
                .drafterId(drafterId)
                .drafterVersion(7)
                .treeSize(12)
                .treeDepth(5)
                .acceptedLength(accepted)
                .draftNanos(1_250_000L + round)
                .verifyNanos(8_400_000L)
                .domain("python")
                .sources(java.util.Map.of("model", new RoundEvent.SourceTally(8, Math.min(accepted, 3)),
                        "suffix", new RoundEvent.SourceTally(5, accepted)))
                .build();
    }

    static RequestSummaryEvent summary(String drafterId, String requestId) {
        return RequestSummaryEvent.builder()
                .timestampMs(1_767_225_601_000L)
                .replicaId("replica-a")
                .requestId(requestId)
                .drafterId(drafterId)
                .drafterVersion(7)
                .strategy("tree")
                .promptTokens(312)
                .generatedTokens(128)
                .rounds(41)
                .meanAcceptedLength(2.125)
                .ttftNanos(41_000_000L)
                .durationNanos(900_000_000L)
                .build();
    }

    static DecisionEvent decision(String drafterId, String decisionId) {
        return new DecisionEvent(1_767_225_602_000L, "replica-a", decisionId, drafterId, "linucb-update", "update",
                Map.of("acceptance_ewma", 0.41, "samples_buffered", 2048L, "domain", "java"),
                Map.of("gain", 0.07, "cost_ms", 350.0),
                Map.of());
    }

    static TrainingSample sample(String drafterId, String requestId, int round, int nodes, int hiddenDim, long seed) {
        Random rnd = new Random(seed);
        float[] hidden = new float[nodes * hiddenDim];
        for (int i = 0; i < hidden.length; i++) {
            hidden[i] = (float) (rnd.nextGaussian() * 2.0);
        }
        int[] targets = new int[nodes];
        boolean[] valid = new boolean[nodes];
        int[] depths = new int[nodes];
        for (int i = 0; i < nodes; i++) {
            targets[i] = rnd.nextInt(50_000);
            valid[i] = rnd.nextBoolean();
            depths[i] = 1 + i / 2;
        }
        return new TrainingSample(requestId, round, drafterId, 7, hiddenDim, hidden, targets, valid, depths);
    }
}
