package dev.specserve.telemetry;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;

import static dev.specserve.telemetry.Validation.jsonMap;
import static dev.specserve.telemetry.Validation.optionalText;
import static dev.specserve.telemetry.Validation.requireNonNegative;
import static dev.specserve.telemetry.Validation.requireText;

/**
 * A bandit (update-policy) decision ({@code "type": "decision"}). Its maps are free-form so that the
 * policy can evolve without a schema change.
 *
 * <p>A decision is typically emitted twice under the same {@code decisionId}: once when it is taken
 * ({@code realised} empty) and once when its outcome is known ({@code realised} filled in).
 *
 * <p>Map values must be JSON values: {@code String}, {@code Number} (finite), {@code Boolean},
 * {@code List}, {@code Map<String, ?>} or null. They are deep-copied into immutable maps, with integral
 * numbers widened to {@code Long} and {@code Float} to {@code Double}, so that a JSON round trip gives
 * back an equal event.
 *
 * @param timestampMs wall-clock time, ms since the epoch
 * @param replicaId   replica that took the decision
 * @param decisionId  id shared by the "taken" and "realised" events of one decision
 * @param drafterId   drafter the decision concerns, or null; the Kafka key when present
 * @param policy      policy name, e.g. {@code "linucb-update"}
 * @param action      chosen action, e.g. {@code "update"} or {@code "skip"}
 * @param inputs      context features the policy saw
 * @param predicted   the policy's predictions (e.g. expected gain, cost)
 * @param realised    observed outcome (empty until known)
 */
public record DecisionEvent(
        @JsonProperty(value = "timestamp_ms", required = true) long timestampMs,
        @JsonProperty(value = "replica_id", required = true) String replicaId,
        @JsonProperty(value = "decision_id", required = true) String decisionId,
        @JsonProperty("drafter_id") String drafterId,
        @JsonProperty(value = "policy", required = true) String policy,
        @JsonProperty(value = "action", required = true) String action,
        @JsonProperty("inputs") Map<String, Object> inputs,
        @JsonProperty("predicted") Map<String, Object> predicted,
        @JsonProperty("realised") Map<String, Object> realised) implements FeedbackEvent {

    /** The {@code type} discriminator of decision events. */
    public static final String TYPE = "decision";

    public DecisionEvent {
        requireNonNegative(timestampMs, "timestamp_ms");
        requireText(replicaId, "replica_id");
        requireText(decisionId, "decision_id");
        optionalText(drafterId, "drafter_id");
        requireText(policy, "policy");
        requireText(action, "action");
        inputs = jsonMap(inputs, "inputs");
        predicted = jsonMap(predicted, "predicted");
        realised = jsonMap(realised, "realised");
    }

    /** Convenience constructor stamping the current time. */
    public DecisionEvent(String replicaId, String decisionId, String drafterId, String policy, String action,
                         Map<String, ?> inputs, Map<String, ?> predicted, Map<String, ?> realised) {
        this(System.currentTimeMillis(), replicaId, decisionId, drafterId, policy, action,
                jsonMap(inputs, "inputs"), jsonMap(predicted, "predicted"), jsonMap(realised, "realised"));
    }

    @Override
    @JsonIgnore
    public String type() {
        return TYPE;
    }

    /** Keyed by drafter id when the decision concerns a drafter, else by replica id. */
    @Override
    @JsonIgnore
    public String partitionKey() {
        return drafterId != null ? drafterId : replicaId;
    }

    /** A copy of this decision carrying its realised outcome (same id), stamped now. */
    public DecisionEvent withRealised(Map<String, ?> outcome) {
        return new DecisionEvent(System.currentTimeMillis(), replicaId, decisionId, drafterId, policy, action, inputs,
                predicted, jsonMap(outcome, "realised"));
    }
}
