package dev.specserve.drafters.update;

/**
 * Watches live acceptance after a swap: if the mean accepted length over the first {@code window} rounds
 * served by the new version falls below the pre-swap level by more than {@code margin}, it asks for a
 * rollback. Rounds of other versions (sequences still on the old adapter) are ignored.
 */
public final class RollbackGuard {
    private final int window;
    private final double margin;
    private long watchedVersion = -1;
    private double baseline;
    private long rounds;
    private double acceptedSum;

    public RollbackGuard(int window, double margin) {
        this.window = window;
        this.margin = margin;
    }

    public synchronized void watch(long version, double preSwapAcceptedLength) {
        watchedVersion = version;
        baseline = preSwapAcceptedLength;
        rounds = 0;
        acceptedSum = 0;
    }

    public enum Verdict { NOT_WATCHING, WATCHING, KEEP, ROLL_BACK }

    /** Feeds one round; returns ROLL_BACK once, when the window closes below the baseline. */
    public synchronized Verdict observe(long version, int acceptedLength) {
        if (watchedVersion < 0) {
            return Verdict.NOT_WATCHING;
        }
        if (version != watchedVersion) {
            return Verdict.WATCHING;
        }
        rounds++;
        acceptedSum += acceptedLength;
        if (rounds < window) {
            return Verdict.WATCHING;
        }
        double live = acceptedSum / rounds;
        watchedVersion = -1;
        return live < baseline - margin ? Verdict.ROLL_BACK : Verdict.KEEP;
    }

    public synchronized double liveMean() {
        return rounds == 0 ? Double.NaN : acceptedSum / rounds;
    }
}
