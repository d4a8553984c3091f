package dev.specserve.telemetry;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;

import static dev.specserve.telemetry.Validation.optionalText;
import static dev.specserve.telemetry.Validation.requireNonNegative;
import static dev.specserve.telemetry.Validation.requireText;

/**
 * Per-request summary, emitted once when a request finishes ({@code "type": "request"}).
 *
 * @param timestampMs        wall-clock time the request finished, ms since the epoch
 * @param replicaId          serving replica
 * @param requestId          request id (matches the request's round events)
 * @param drafterId          drafter used (the last one, if it changed); also the Kafka key
 * @param drafterVersion     version of that drafter
 * @param strategy           drafting strategy
 * @param domain             the request's optional domain tag, or null
 * @param promptTokens       prompt length in tokens
 * @param generatedTokens    generated tokens
 * @param rounds             verification rounds run
 * @param meanAcceptedLength mean accepted draft tokens per round (0 when there were no rounds)
 * @param ttftNanos          time to first token, ns
 * @param durationNanos      request wall time from admission to last token, ns
 */
public record RequestSummaryEvent(
        @JsonProperty(value = "timestamp_ms", required = true) long timestampMs,
        @JsonProperty(value = "replica_id", required = true) String replicaId,
        @JsonProperty(value = "request_id", required = true) String requestId,
        @JsonProperty(value = "drafter_id", required = true) String drafterId,
        @JsonProperty(value = "drafter_version", required = true) long drafterVersion,
        @JsonProperty(value = "strategy", required = true) String strategy,
        @JsonProperty("domain") String domain,
        @JsonProperty(value = "prompt_tokens", required = true) int promptTokens,
        @JsonProperty(value = "generated_tokens", required = true) int generatedTokens,
        @JsonProperty(value = "rounds", required = true) int rounds,
        @JsonProperty(value = "mean_accepted_length", required = true) double meanAcceptedLength,
        @JsonProperty(value = "ttft_nanos", required = true) long ttftNanos,
        @JsonProperty(value = "duration_nanos", required = true) long durationNanos) implements FeedbackEvent {

    /** The {@code type} discriminator of request summary events. */
    public static final String TYPE = "request";

    public RequestSummaryEvent {
        requireNonNegative(timestampMs, "timestamp_ms");
        requireText(replicaId, "replica_id");
        requireText(requestId, "request_id");
        requireText(drafterId, "drafter_id");
        requireNonNegative(drafterVersion, "drafter_version");
        requireText(strategy, "strategy");
        optionalText(domain, "domain");
        requireNonNegative(promptTokens, "prompt_tokens");
        requireNonNegative(generatedTokens, "generated_tokens");
        requireNonNegative(rounds, "rounds");
        if (!Double.isFinite(meanAcceptedLength) || meanAcceptedLength < 0) {
            throw new IllegalArgumentException("mean_accepted_length must be finite and >= 0, was " + meanAcceptedLength);
        }
        requireNonNegative(ttftNanos, "ttft_nanos");
        requireNonNegative(durationNanos, "duration_nanos");
    }

    @Override
    @JsonIgnore
    public String type() {
        return TYPE;
    }

    @Override
    @JsonIgnore
    public String partitionKey() {
        return drafterId;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builder for {@link RequestSummaryEvent}; {@code timestampMs} defaults to now. */
    public static final class Builder {
        private Long timestampMs;
        private String replicaId;
        private String requestId;
        private String drafterId;
        private long drafterVersion;
        private String strategy;
        private String domain;
        private int promptTokens;
        private int generatedTokens;
        private int rounds;
        private double meanAcceptedLength;
        private long ttftNanos;
        private long durationNanos;

        private Builder() {
        }

        public Builder timestampMs(long v) { this.timestampMs = v; return this; }
        public Builder replicaId(String v) { this.replicaId = v; return this; }
        public Builder requestId(String v) { this.requestId = v; return this; }
        public Builder drafterId(String v) { this.drafterId = v; return this; }
        public Builder drafterVersion(long v) { this.drafterVersion = v; return this; }
        public Builder strategy(String v) { this.strategy = v; return this; }
        public Builder domain(String v) { this.domain = v; return this; }
        public Builder promptTokens(int v) { this.promptTokens = v; return this; }
        public Builder generatedTokens(int v) { this.generatedTokens = v; return this; }
        public Builder rounds(int v) { this.rounds = v; return this; }
        public Builder meanAcceptedLength(double v) { this.meanAcceptedLength = v; return this; }
        public Builder ttftNanos(long v) { this.ttftNanos = v; return this; }
        public Builder durationNanos(long v) { this.durationNanos = v; return this; }

        public RequestSummaryEvent build() {
            long ts = timestampMs == null ? System.currentTimeMillis() : timestampMs;
            return new RequestSummaryEvent(ts, replicaId, requestId, drafterId, drafterVersion, strategy, domain,
                    promptTokens, generatedTokens, rounds, meanAcceptedLength, ttftNanos, durationNanos);
        }
    }
}
