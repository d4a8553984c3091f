package dev.specserve.telemetry;

import java.util.function.LongSupplier;

/**
 * Decides which training samples a {@link FeedbackPublisher} sends: a deterministic per
 * {@code (requestId, round)} selection at the sampling fraction, then a bound on one sample's encoded
 * size and a bytes-per-second cap (a token bucket holding one second's worth).
 */
final class SampleGate {

    /** Room left in a produce request for the key, headers and batch overhead. */
    static final int RECORD_OVERHEAD_BYTES = 1024;

    /** What {@link #admit} says about a selected sample. */
    enum Admission { ACCEPTED, TOO_LARGE, RATE_LIMITED }

    private final double fraction;
    private final long maxSampleBytes;
    private final TokenBucket bucket;

    SampleGate(double fraction, long bytesPerSecond, long maxSampleBytes, LongSupplier nanoClock) {
        this.fraction = fraction;
        this.maxSampleBytes = maxSampleBytes;
        this.bucket = new TokenBucket(bytesPerSecond, bytesPerSecond, nanoClock);
    }

    /**
     * The gate of {@code config}: a sample must fit in one produce request of {@code maxRequestSize}
     * bytes, in one second of the cap, in the sample buffer and in the in-flight byte bound.
     */
    static SampleGate of(TelemetryConfig config, int maxRequestSize) {
        long maxSampleBytes = Math.min(
                Math.min(maxRequestSize - RECORD_OVERHEAD_BYTES, config.sampleBytesPerSecond()),
                Math.min(config.sampleBufferBytes(), InFlight.MAX_BYTES));
        return new SampleGate(config.sampleFraction(), config.sampleBytesPerSecond(), maxSampleBytes, System::nanoTime);
    }

    /** Whether round {@code round} of request {@code requestId} is selected; the same answer every time. */
    boolean selected(String requestId, int round) {
        if (fraction >= 1.0) {
            return true;
        }
        if (fraction <= 0.0) {
            return false;
        }
        long h = mix64(((long) (requestId == null ? 0 : requestId.hashCode()) << 32) ^ (round & 0xffffffffL));
        return (h >>> 11) * 0x1.0p-53 < fraction;
    }

    /** Admits a selected sample of {@code encodedBytes}, taking its bytes from the cap only when it is accepted. */
    Admission admit(long encodedBytes) {
        if (encodedBytes > maxSampleBytes) {
            return Admission.TOO_LARGE;
        }
        return bucket.tryAcquire(encodedBytes) ? Admission.ACCEPTED : Admission.RATE_LIMITED;
    }

    /** SplitMix64 finaliser. */
    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
