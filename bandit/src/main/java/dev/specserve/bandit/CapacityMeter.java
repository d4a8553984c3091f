package dev.specserve.bandit;

import java.util.ArrayList;
import java.util.List;

/**
 * Round measurements in event time: each round's own timestamp, committed tokens (accepted + bonus) and engine
 * busy nanoseconds (draft + verify). Rounds may arrive late and out of order (a Kafka hop); they are kept sorted
 * by timestamp for {@code retentionMs} behind the newest one seen (the watermark).
 *
 * <p>{@link #over} gives a window's capacity, committed tokens ÷ busy seconds: the tokens/s the engine would
 * serve at saturation with the drafter of that window, whatever the demand was. Thread-safe.
 */
public final class CapacityMeter {
    private record Round(long atMs, int tokens, long busyNanos) {}

    /** A window's measurements. Capacity is NaN when no round (or no busy time) fell in the window. */
    public record Window(long fromMs, long toMs, long rounds, long tokens, double busySeconds) {
        public double capacity() {
            return busySeconds > 0 ? tokens / busySeconds : Double.NaN;
        }

        /** Rounds per second of event time: the demand actually served. */
        public double roundRate() {
            return toMs > fromMs ? rounds * 1000.0 / (toMs - fromMs) : Double.NaN;
        }
    }

    private final long retentionMs;
    private final List<Round> rounds = new ArrayList<>();
    private long watermarkMs = Long.MIN_VALUE;
    private long idleRounds;

    public CapacityMeter(long retentionMs) {
        if (retentionMs <= 0) {
            throw new IllegalArgumentException("retentionMs must be > 0");
        }
        this.retentionMs = retentionMs;
    }

    /**
     * One round: when it happened, tokens it committed, and the engine's busy time for it. A round with no busy
     * time measures no capacity (a real round takes some): it is left out and counted ({@link #idleRounds()}).
     */
    public synchronized void add(long atMs, int committedTokens, long busyNanos) {
        if (committedTokens < 0 || busyNanos < 0) {
            throw new IllegalArgumentException("tokens and busy time must be >= 0");
        }
        if (busyNanos == 0) {
            idleRounds++;
            return;
        }
        int i = rounds.size();
        while (i > 0 && rounds.get(i - 1).atMs() > atMs) {
            i--;
        }
        rounds.add(i, new Round(atMs, committedTokens, busyNanos));
        if (atMs > watermarkMs) {
            watermarkMs = atMs;
            int drop = 0;
            while (drop < rounds.size() && rounds.get(drop).atMs() < watermarkMs - retentionMs) {
                drop++;
            }
            rounds.subList(0, drop).clear();
        }
    }

    /** Rounds left out because they reported no busy time. */
    public synchronized long idleRounds() {
        return idleRounds;
    }

    /** The newest round's timestamp ({@code Long.MIN_VALUE} before any). */
    public synchronized long watermarkMs() {
        return watermarkMs;
    }

    /** Rounds with {@code fromMs <= timestamp < toMs}. */
    public synchronized Window over(long fromMs, long toMs) {
        long n = 0;
        long tokens = 0;
        long busy = 0;
        for (int i = firstAtOrAfter(fromMs); i < rounds.size() && rounds.get(i).atMs() < toMs; i++) {
            Round r = rounds.get(i);
            n++;
            tokens += r.tokens();
            busy += r.busyNanos();
        }
        return new Window(fromMs, toMs, n, tokens, busy / 1e9);
    }

    private int firstAtOrAfter(long ms) {
        int lo = 0;
        int hi = rounds.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (rounds.get(mid).atMs() < ms) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
