package dev.specserve.telemetry;

/**
 * A verifier-feedback event as carried, JSON-encoded by {@link FeedbackJson}, on the feedback topic.
 *
 * <p>Every encoded event carries {@code schema_version} (currently {@value #SCHEMA_VERSION}) and a
 * {@code type} discriminator ({@code "round"}, {@code "request"} or {@code "decision"}). The schema is
 * documented in {@code docs/feedback-schema.md} and {@code docs/feedback-schema.json}.
 */
public sealed interface FeedbackEvent permits RoundEvent, RequestSummaryEvent, DecisionEvent {

    /**
     * The schema version written by this code. Version 2 added per-source counts to round events; readers
     * accept {@link #OLDEST_READABLE_VERSION} up to this and skip other records.
     */
    int SCHEMA_VERSION = 2;

    /** The oldest schema version this code still decodes (version-1 round events have no sources). */
    int OLDEST_READABLE_VERSION = 1;

    /** The {@code type} discriminator of this event. */
    String type();

    /** Wall-clock time of the event, milliseconds since the Unix epoch. */
    long timestampMs();

    /** The serving replica that emitted the event. */
    String replicaId();

    /**
     * The Kafka record key. Round and request events are keyed by drafter id, so that events about
     * one drafter stay in one partition and keep their order.
     */
    String partitionKey();
}
