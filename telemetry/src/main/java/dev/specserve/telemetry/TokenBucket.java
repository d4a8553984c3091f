package dev.specserve.telemetry;

import java.util.function.LongSupplier;

/** A thread-safe token bucket: {@code ratePerSecond} tokens per second, holding at most {@code burst}. */
final class TokenBucket {

    private final double tokensPerNano;
    private final double burst;
    private final LongSupplier nanoClock;
    private double tokens;
    private long last;

    TokenBucket(long ratePerSecond, long burst, LongSupplier nanoClock) {
        if (ratePerSecond < 1 || burst < 1) {
            throw new IllegalArgumentException("rate and burst must be >= 1");
        }
        this.tokensPerNano = ratePerSecond / 1e9;
        this.burst = burst;
        this.nanoClock = nanoClock;
        this.tokens = burst;
        this.last = nanoClock.getAsLong();
    }

    /** Takes {@code n} tokens if available; never waits. */
    synchronized boolean tryAcquire(long n) {
        long now = nanoClock.getAsLong();
        long elapsed = now - last;
        if (elapsed > 0) {
            tokens = Math.min(burst, tokens + elapsed * tokensPerNano);
            last = now;
        }
        if (n > tokens) {
            return false;
        }
        tokens -= n;
        return true;
    }

    double burst() {
        return burst;
    }
}
