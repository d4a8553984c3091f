package dev.specserve.controller.feedback;

import dev.specserve.controller.server.FeedbackSink;
import dev.specserve.drafters.update.VerifierLabels;
import dev.specserve.runtime.engine.RequestStats;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.RoundResult;
import dev.specserve.telemetry.FeedbackPublisher;
import dev.specserve.telemetry.RequestSummaryEvent;
import dev.specserve.telemetry.RoundEvent;
import dev.specserve.telemetry.TrainingSample;
import java.util.ArrayList;
import java.util.List;

/**
 * Publishes every verification round (and every finished request) to the feedback topic, and for the
 * configured fraction of rounds the verifier labels an online drafter update learns from to the samples
 * topic. The publisher buffers and never blocks the engine thread.
 */
public class KafkaFeedbackSink implements FeedbackSink {
    private final FeedbackPublisher publisher;
    private final String replicaId;
    private final String drafterId;

    public KafkaFeedbackSink(FeedbackPublisher publisher, String replicaId, String drafterId) {
        this.publisher = publisher;
        this.replicaId = replicaId;
        this.drafterId = drafterId;
    }

    @Override
    public String describe() {
        return "kafka(" + publisher.config().bootstrapServers() + ", topics " + publisher.config().feedbackTopic()
                + " and " + publisher.config().samplesTopic() + ")";
    }

    @Override
    public void onRound(String requestId, String strategy, long drafterVersion, String domain, RoundResult round,
                        int[] emitted) {
        publisher.publish(RoundEvents.of(round, replicaId, requestId, strategy, drafterId, drafterVersion, domain));
        if (drafterVersion > 0 && publisher.sampleThisRound(requestId, round.index())) {
            TrainingSample sample = sample(requestId, drafterVersion, round);
            if (sample != null) {
                publisher.publishSample(sample);
            }
        }
    }

    private TrainingSample sample(String requestId, long drafterVersion, RoundResult round) {
        List<VerifierLabels.Label> labels = VerifierLabels.fromRound(round);
        if (labels.isEmpty()) {
            return null;
        }
        int dim = labels.get(0).hidden().length;
        float[] hidden = new float[labels.size() * dim];
        int[] tokens = new int[labels.size()];
        boolean[] valid = new boolean[labels.size()];
        int[] depths = new int[labels.size()];
        for (int i = 0; i < labels.size(); i++) {
            VerifierLabels.Label l = labels.get(i);
            System.arraycopy(l.hidden(), 0, hidden, i * dim, dim);
            tokens[i] = l.targetToken();
            valid[i] = l.validPrefix();
            depths[i] = l.depth();
        }
        return new TrainingSample(requestId, round.index(), drafterId, drafterVersion, dim, hidden, tokens, valid, depths);
    }

    @Override
    public void onFinished(String requestId, GenerationResult result, RequestStats stats) {
        publisher.publish(RequestSummaryEvent.builder()
                .timestampMs(EventClock.SYSTEM.millis())
                .replicaId(replicaId)
                .requestId(requestId)
                .drafterId(drafterId)
                .drafterVersion(stats.drafterVersion())
                .strategy(stats.strategy())
                .promptTokens(result.promptTokens())
                .generatedTokens(result.tokens().length)
                .rounds(result.rounds())
                // draft tokens only, as the schema defines it (tau, with the bonus token, is one more)
                .meanAcceptedLength(result.rounds() == 0 ? 0 : (double) result.acceptedDraftTokens() / result.rounds())
                .ttftNanos(stats.timeToFirstTokenNanos())
                .durationNanos(stats.endToEndNanos())
                .build());
    }

    @Override
    public void close() {
        publisher.close();
    }
}
