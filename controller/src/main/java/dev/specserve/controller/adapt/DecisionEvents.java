package dev.specserve.controller.adapt;

import dev.specserve.bandit.CostAwareBandit;
import dev.specserve.bandit.Decision;
import dev.specserve.bandit.DecisionLog;
import dev.specserve.telemetry.DecisionEvent;
import dev.specserve.telemetry.FeedbackPublisher;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Logs the bandit's decisions and rewards and publishes them on the feedback topic (see {@link BanditLog}). */
final class DecisionEvents implements DecisionLog {
    private static final Logger LOG = LoggerFactory.getLogger(AdaptationController.class);

    private final CostAwareBandit bandit;
    private final FeedbackPublisher publisher;
    private final String replicaId;
    private final String drafterId;

    DecisionEvents(CostAwareBandit bandit, FeedbackPublisher publisher, String replicaId, String drafterId) {
        this.bandit = bandit;
        this.publisher = publisher;
        this.replicaId = replicaId;
        this.drafterId = drafterId;
    }

    @Override
    public void onDecision(Decision d) {
        StringBuilder arms = new StringBuilder();
        for (Decision.ArmEstimate e : d.estimates()) {
            if (!e.arm().isWait()) {
                arms.append(String.format(" %s gain %.0f cost %.0f", e.arm().name(), e.predictedGain(), e.predictedCost()));
            }
        }
        // a WAIT every epoch is the steady state: at INFO only the decisions that do something
        LOG.atLevel(d.arm().isWait() ? org.slf4j.event.Level.DEBUG : org.slf4j.event.Level.INFO)
                .log("bandit decision {}: {} ({}); tau {} vs reference {}, {} fresh samples;{} (tokens)", d.id(),
                        d.arm().name(), d.reason(), String.format("%.2f", d.context().tauNow()),
                        String.format("%.2f", d.context().tauAfterLastUpdate()), d.context().freshSamples(), arms);
        Map<String, Object> predicted = new LinkedHashMap<>();
        predicted.put("gain_tokens", d.predictedGain());
        predicted.put("cost_tokens", d.predictedCost());
        predicted.put("posterior_means", d.posteriorMeans());
        predicted.put("posterior_sds", BanditLog.posteriorSds(d));
        // run id, sequence number and config: enough to replay the bandit from these events (see BanditLog)
        publish(d.id(), "bandit:" + d.arm().name(), BanditLog.inputs(bandit, d, d.sequence()), predicted, Map.of());
    }

    @Override
    public void onRealised(Decision d) {
        publish(d.id(), "realised", BanditLog.inputs(bandit, d, d.realisedSequence()), Map.of(),
                BanditLog.realised(d));
    }

    void rollback(long from, long to, String reason) {
        publish("rollback-" + System.currentTimeMillis(), "rollback", Map.of("from_version", from, "reason", reason),
                Map.of(), Map.of("to_version", to));
    }

    private void publish(String id, String action, Map<String, Object> inputs, Map<String, Object> predicted,
                         Map<String, Object> realised) {
        if (publisher == null) {
            return;
        }
        publisher.publish(new DecisionEvent(System.currentTimeMillis(), replicaId, id, drafterId,
                BanditLog.POLICY, action, inputs, predicted, realised));
    }
}
