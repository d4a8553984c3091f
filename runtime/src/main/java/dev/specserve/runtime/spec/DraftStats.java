package dev.specserve.runtime.spec;

/** What the last proposal cost: drafter forwards and nanoseconds inside ORT. */
public record DraftStats(int forwards, long ortNanos) {
    public static final DraftStats NONE = new DraftStats(0, 0);
}
