package dev.specserve.telemetry;

import java.util.Locale;

/** A record on a telemetry topic that cannot be decoded; {@link #kind()} classifies why. */
public final class MalformedRecordException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why a record was rejected. {@link #tag()} is the value of the {@code kind} meter tag. */
    public enum Kind {
        /** The record has no value (null or zero bytes). */
        EMPTY,
        /** The feedback value is not a JSON object. */
        NOT_JSON,
        /** {@code schema_version} is missing or not one this code reads. */
        UNSUPPORTED_VERSION,
        /** {@code type} is missing or unknown. */
        UNKNOWN_TYPE,
        /** JSON of a known type and version, but with missing or invalid fields. */
        INVALID_EVENT,
        /** A training sample that does not start with the sample magic. */
        SAMPLE_BAD_MAGIC,
        /** A training sample with an unknown format version or dtype. */
        SAMPLE_UNSUPPORTED_VERSION,
        /** A training sample shorter than its header says. */
        SAMPLE_TRUNCATED,
        /** A training sample with inconsistent counts, trailing bytes or invalid fields. */
        SAMPLE_INVALID;

        public String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Kind kind;

    public MalformedRecordException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public MalformedRecordException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
