package dev.specserve.telemetry;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.specserve.telemetry.Validation.optionalText;
import static dev.specserve.telemetry.Validation.requireNonNegative;
import static dev.specserve.telemetry.Validation.requireText;

/**
 * Feedback from one verification round ({@code "type": "round"}).
 *
 * <p>One round drafts a tree of {@code treeSize} nodes (the root, i.e. the last committed token, is
 * not counted) whose deepest node lies at {@code treeDepth}; a chain draft has
 * {@code treeSize == treeDepth}. The target model then accepts a path of {@code acceptedLength} draft
 * tokens from the root. {@code acceptedPerDepth.get(d - 1)} tells whether depth {@code d} was reached
 * by the accepted path; since acceptance is a prefix it is {@code true} exactly for the first
 * {@code acceptedLength} depths (checked on construction).
 *
 * @param timestampMs      wall-clock time, ms since the epoch
 * @param replicaId        serving replica
 * @param requestId        request the round belongs to
 * @param round            0-based index of the round within the request
 * @param strategy         drafting strategy, e.g. {@code "chain"} or {@code "tree"}
 * @param drafterId        drafter that proposed the tree; also the Kafka key
 * @param drafterVersion   version of the drafter's weights (monotonic per drafter id)
 * @param treeSize         number of draft nodes verified
 * @param treeDepth        depth of the deepest draft node
 * @param acceptedLength   number of draft tokens accepted (0..treeDepth), excluding the bonus token
 * @param acceptedPerDepth accepted flag per depth, {@code treeDepth} entries
 * @param draftNanos       time spent drafting, ns
 * @param verifyNanos      time spent in the target's verification pass, ns
 * @param domain           the request's optional domain tag, or null
 * @param sources          per drafting source ({@link #SOURCES}), nodes drafted and accepted; a node several
 *                         sources proposed counts for each (schema version 2; empty when decoded from a
 *                         version-1 event; a reader drops source names it does not know)
 */
public record RoundEvent(
        @JsonProperty(value = "timestamp_ms", required = true) long timestampMs,
        @JsonProperty(value = "replica_id", required = true) String replicaId,
        @JsonProperty(value = "request_id", required = true) String requestId,
        @JsonProperty(value = "round", required = true) int round,
        @JsonProperty(value = "strategy", required = true) String strategy,
        @JsonProperty(value = "drafter_id", required = true) String drafterId,
        @JsonProperty(value = "drafter_version", required = true) long drafterVersion,
        @JsonProperty(value = "tree_size", required = true) int treeSize,
        @JsonProperty(value = "tree_depth", required = true) int treeDepth,
        @JsonProperty(value = "accepted_length", required = true) int acceptedLength,
        @JsonProperty(value = "accepted_per_depth", required = true) List<Boolean> acceptedPerDepth,
        @JsonProperty(value = "draft_nanos", required = true) long draftNanos,
        @JsonProperty(value = "verify_nanos", required = true) long verifyNanos,
        @JsonProperty("domain") String domain,
        @JsonProperty("sources") Map<String, SourceTally> sources) implements FeedbackEvent {

    /** Nodes one source drafted in the round, and how many of them the target accepted. */
    public record SourceTally(@JsonProperty(value = "drafted", required = true) int drafted,
                              @JsonProperty(value = "accepted", required = true) int accepted) {
        public SourceTally {
            requireNonNegative(drafted, "sources.drafted");
            if (accepted < 0 || accepted > drafted) {
                throw new IllegalArgumentException("sources.accepted " + accepted + " outside [0, drafted=" + drafted + "]");
            }
        }
    }

    /**
     * The source names a round event may carry: a drafter model, lookup in the request's own text and earlier
     * outputs, lookup in the model's corpus, and the text an output grammar forces.
     */
    public static final List<String> SOURCES = List.of("model", "suffix", "corpus", "grammar");

    public RoundEvent(long timestampMs, String replicaId, String requestId, int round, String strategy,
                      String drafterId, long drafterVersion, int treeSize, int treeDepth, int acceptedLength,
                      List<Boolean> acceptedPerDepth, long draftNanos, long verifyNanos, String domain) {
        this(timestampMs, replicaId, requestId, round, strategy, drafterId, drafterVersion, treeSize, treeDepth,
                acceptedLength, acceptedPerDepth, draftNanos, verifyNanos, domain, Map.of());
    }

    /** The {@code type} discriminator of round events. */
    public static final String TYPE = "round";

    public RoundEvent {
        requireNonNegative(timestampMs, "timestamp_ms");
        requireText(replicaId, "replica_id");
        requireText(requestId, "request_id");
        requireNonNegative(round, "round");
        requireText(strategy, "strategy");
        requireText(drafterId, "drafter_id");
        requireNonNegative(drafterVersion, "drafter_version");
        requireNonNegative(treeSize, "tree_size");
        requireNonNegative(treeDepth, "tree_depth");
        if (treeDepth > treeSize) {
            throw new IllegalArgumentException("tree_depth " + treeDepth + " exceeds tree_size " + treeSize);
        }
        if (acceptedLength < 0 || acceptedLength > treeDepth) {
            throw new IllegalArgumentException("accepted_length " + acceptedLength + " outside [0, tree_depth=" + treeDepth + "]");
        }
        if (acceptedPerDepth == null) {
            throw new IllegalArgumentException("accepted_per_depth is required");
        }
        if (acceptedPerDepth.size() != treeDepth) {
            throw new IllegalArgumentException("accepted_per_depth has " + acceptedPerDepth.size()
                    + " entries, expected tree_depth=" + treeDepth);
        }
        for (int d = 0; d < treeDepth; d++) {
            Boolean flag = acceptedPerDepth.get(d);
            if (flag == null) {
                throw new IllegalArgumentException("accepted_per_depth[" + d + "] is null");
            }
            if (flag != (d < acceptedLength)) {
                throw new IllegalArgumentException("accepted_per_depth " + acceptedPerDepth
                        + " is not the accepted prefix of length " + acceptedLength);
            }
        }
        acceptedPerDepth = List.copyOf(acceptedPerDepth);
        requireNonNegative(draftNanos, "draft_nanos");
        requireNonNegative(verifyNanos, "verify_nanos");
        optionalText(domain, "domain");
        sources = sources == null ? Map.of() : Map.copyOf(sources);
        for (Map.Entry<String, SourceTally> e : sources.entrySet()) {
            if (!SOURCES.contains(e.getKey())) {
                throw new IllegalArgumentException("sources has unknown source '" + e.getKey() + "'; known: " + SOURCES);
            }
            if (e.getValue() == null) {
                throw new IllegalArgumentException("sources." + e.getKey() + " is null");
            }
            if (e.getValue().drafted() > treeSize) {
                throw new IllegalArgumentException("sources." + e.getKey() + ".drafted " + e.getValue().drafted()
                        + " exceeds tree_size " + treeSize);
            }
            if (e.getValue().accepted() > acceptedLength) {
                throw new IllegalArgumentException("sources." + e.getKey() + ".accepted " + e.getValue().accepted()
                        + " exceeds accepted_length " + acceptedLength);
            }
        }
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

    /** Accepted flags as {@code boolean[]} ({@code treeDepth} entries). */
    public boolean[] acceptedFlags() {
        boolean[] flags = new boolean[acceptedPerDepth.size()];
        for (int i = 0; i < flags.length; i++) {
            flags[i] = acceptedPerDepth.get(i);
        }
        return flags;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Builder for {@link RoundEvent}. {@code timestampMs} defaults to now, and
     * {@code acceptedPerDepth}, when not given, is derived from {@code acceptedLength} and
     * {@code treeDepth}.
     */
    public static final class Builder {
        private Long timestampMs;
        private String replicaId;
        private String requestId;
        private int round;
        private String strategy;
        private String drafterId;
        private long drafterVersion;
        private int treeSize;
        private int treeDepth;
        private int acceptedLength;
        private List<Boolean> acceptedPerDepth;
        private long draftNanos;
        private long verifyNanos;
        private String domain;
        private Map<String, SourceTally> sources;

        private Builder() {
        }

        public Builder timestampMs(long v) { this.timestampMs = v; return this; }
        public Builder replicaId(String v) { this.replicaId = v; return this; }
        public Builder requestId(String v) { this.requestId = v; return this; }
        public Builder round(int v) { this.round = v; return this; }
        public Builder strategy(String v) { this.strategy = v; return this; }
        public Builder drafterId(String v) { this.drafterId = v; return this; }
        public Builder drafterVersion(long v) { this.drafterVersion = v; return this; }
        public Builder treeSize(int v) { this.treeSize = v; return this; }
        public Builder treeDepth(int v) { this.treeDepth = v; return this; }
        public Builder acceptedLength(int v) { this.acceptedLength = v; return this; }
        public Builder acceptedPerDepth(List<Boolean> v) { this.acceptedPerDepth = v; return this; }
        public Builder draftNanos(long v) { this.draftNanos = v; return this; }
        public Builder verifyNanos(long v) { this.verifyNanos = v; return this; }
        public Builder domain(String v) { this.domain = v; return this; }
        public Builder sources(Map<String, SourceTally> v) { this.sources = v; return this; }

        public Builder acceptedPerDepth(boolean... flags) {
            List<Boolean> list = new ArrayList<>(flags.length);
            for (boolean f : flags) {
                list.add(f);
            }
            this.acceptedPerDepth = list;
            return this;
        }

        public RoundEvent build() {
            List<Boolean> flags = acceptedPerDepth;
            if (flags == null && treeDepth >= 0 && acceptedLength >= 0) {
                flags = new ArrayList<>(treeDepth);
                for (int d = 0; d < treeDepth; d++) {
                    flags.add(d < acceptedLength);
                }
            }
            long ts = timestampMs == null ? System.currentTimeMillis() : timestampMs;
            return new RoundEvent(ts, replicaId, requestId, round, strategy, drafterId, drafterVersion, treeSize,
                    treeDepth, acceptedLength, flags, draftNanos, verifyNanos, domain, sources);
        }
    }
}
