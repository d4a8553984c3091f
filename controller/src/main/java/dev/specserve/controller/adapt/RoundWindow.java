package dev.specserve.controller.adapt;

import java.util.ArrayDeque;

/** Rounds seen in the last {@code windowNanos}: mean tokens per round (tau), rounds/s and tokens/s. */
final class RoundWindow {
    private record Round(long atNanos, int tokens) {}

    private final long windowNanos;
    private final ArrayDeque<Round> rounds = new ArrayDeque<>();
    private long tokens;

    RoundWindow(long windowNanos) {
        this.windowNanos = windowNanos;
    }

    synchronized void add(long nowNanos, int acceptedLength) {
        rounds.addLast(new Round(nowNanos, acceptedLength + 1));
        tokens += acceptedLength + 1;
        evict(nowNanos);
    }

    private void evict(long now) {
        while (!rounds.isEmpty() && now - rounds.peekFirst().atNanos() > windowNanos) {
            tokens -= rounds.removeFirst().tokens();
        }
    }

    synchronized double tau(long now) {
        evict(now);
        return rounds.isEmpty() ? 0 : (double) tokens / rounds.size();
    }

    synchronized double roundsPerSecond(long now) {
        evict(now);
        return rounds.size() / (windowNanos / 1e9);
    }

    synchronized double tokensPerSecond(long now) {
        evict(now);
        return tokens / (windowNanos / 1e9);
    }

    synchronized int size() {
        return rounds.size();
    }
}
