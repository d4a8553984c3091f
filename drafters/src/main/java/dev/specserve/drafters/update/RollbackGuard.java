package dev.specserve.drafters.update;

/**
 * Watches live acceptance after a swap: if the mean accepted length over the first {@code window} rounds
 * served by the new version falls below the pre-swap level by more than {@code margin}, it asks for a
 * rollback. The pre-swap level is the mean of the last {@code window} rounds seen before the swap, like for
 * like: a longer baseline would still hold the traffic from before a drift and roll back every update made to
 * follow it. While watching, rounds of other versions (sequences still on the old adapter) are ignored.
 */
public final class RollbackGuard {
    private final int window;
    private final double margin;
    private final int[] recent;
    private int recentCount;
    private int next;
    private long recentSum;
    private long watchedVersion = -1;
    private double baseline;
    private long rounds;
    private double acceptedSum;

    public RollbackGuard(int window, double margin) {
        this.window = window;
        this.margin = margin;
        this.recent = new int[window];
    }

    /** Watches {@code version} against the rounds seen before it (none: nothing to compare, it is kept). */
    public synchronized void watch(long version) {
        watchedVersion = version;
        baseline = recentCount == 0 ? Double.NaN : (double) recentSum / recentCount;
        rounds = 0;
        acceptedSum = 0;
    }

    public enum Verdict { NOT_WATCHING, WATCHING, KEEP, ROLL_BACK }

    /** Feeds one round; returns ROLL_BACK once, when the window closes below the baseline. */
    public synchronized Verdict observe(long version, int acceptedLength) {
        if (watchedVersion < 0) {
            remember(acceptedLength);
            return Verdict.NOT_WATCHING;
        }
        if (version != watchedVersion) {
            return Verdict.WATCHING;
        }
        rounds++;
        acceptedSum += acceptedLength;
        remember(acceptedLength);
        if (rounds < window) {
            return Verdict.WATCHING;
        }
        double live = acceptedSum / rounds;
        watchedVersion = -1;
        return live < baseline - margin ? Verdict.ROLL_BACK : Verdict.KEEP;
    }

    private void remember(int acceptedLength) {
        recentSum += acceptedLength - (recentCount == window ? recent[next] : 0);
        recent[next] = acceptedLength;
        next = (next + 1) % window;
        recentCount = Math.min(recentCount + 1, window);
    }

    public synchronized double liveMean() {
        return rounds == 0 ? Double.NaN : acceptedSum / rounds;
    }
}
