package dev.specserve.runtime.spec;

/** What the last proposal cost (drafter forwards, nanoseconds inside ORT) and which drafter version made it. */
public record DraftStats(int forwards, long ortNanos, long drafterVersion) {
    public static final DraftStats NONE = new DraftStats(0, 0, 0);
}
