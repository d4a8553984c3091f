package dev.specserve.bandit;

/**
 * Round measurements in event time: each round's own timestamp, committed tokens (accepted + bonus) and engine
 * busy nanoseconds (draft + verify). Rounds may arrive late and out of order (a Kafka hop); they are kept sorted
 * by timestamp for {@code retentionMs} behind the newest one seen (the watermark). A round older than that on
 * arrival is not kept (it would fall out at once).
 *
 * <p>{@link #over} gives a window's capacity, committed tokens ÷ busy seconds: the tokens/s the engine would
 * serve at saturation with the drafter of that window, whatever the demand was. Thread-safe.
 *
 * <p>A fleet trainer adds every replica's rounds, thousands a second, so adding costs O(1) plus how far a late
 * round lands from the newest, never the number kept: the rounds sit in a ring of primitive arrays, appended at
 * the tail and dropped from the head.
 */
public final class CapacityMeter {
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
    private long[] atMs = new long[1024]; // a ring: round k (0 = oldest) sits at (head + k) & (length - 1)
    private int[] tokens = new int[1024];
    private long[] busyNanos = new long[1024];
    private int head;
    private int size;
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
        if (watermarkMs != Long.MIN_VALUE && atMs < watermarkMs - retentionMs) {
            return; // behind the retention already
        }
        if (size == this.atMs.length) {
            grow();
        }
        int k = size; // its place: after every round at or before it (rounds arrive mostly in order)
        while (k > 0 && at(k - 1) > atMs) {
            k--;
        }
        for (int j = size; j > k; j--) {
            move(j - 1, j);
        }
        int slot = slot(k);
        this.atMs[slot] = atMs;
        this.tokens[slot] = committedTokens;
        this.busyNanos[slot] = busyNanos;
        size++;
        if (atMs > watermarkMs) {
            watermarkMs = atMs;
            while (size > 0 && at(0) < watermarkMs - retentionMs) {
                head = slot(1);
                size--;
            }
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
        long sum = 0;
        long busy = 0;
        for (int k = firstAtOrAfter(fromMs); k < size && at(k) < toMs; k++) {
            int slot = slot(k);
            n++;
            sum += tokens[slot];
            busy += busyNanos[slot];
        }
        return new Window(fromMs, toMs, n, sum, busy / 1e9);
    }

    private int slot(int k) {
        return (head + k) & (atMs.length - 1);
    }

    private long at(int k) {
        return atMs[slot(k)];
    }

    private void move(int from, int to) {
        int f = slot(from);
        int t = slot(to);
        atMs[t] = atMs[f];
        tokens[t] = tokens[f];
        busyNanos[t] = busyNanos[f];
    }

    private void grow() {
        long[] a = new long[atMs.length * 2];
        int[] t = new int[a.length];
        long[] b = new long[a.length];
        for (int k = 0; k < size; k++) {
            int slot = slot(k);
            a[k] = atMs[slot];
            t[k] = tokens[slot];
            b[k] = busyNanos[slot];
        }
        atMs = a;
        tokens = t;
        busyNanos = b;
        head = 0;
    }

    private int firstAtOrAfter(long ms) {
        int lo = 0;
        int hi = size;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (at(mid) < ms) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
