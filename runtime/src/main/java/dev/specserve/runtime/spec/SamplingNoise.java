package dev.specserve.runtime.spec;

/**
 * The uniform draws a sampled sequence uses, one per token position, derived from the request's seed: the token
 * at position t is the target's (processed) distribution there, inverted at u(t). Verification draws the target's
 * token at each node of the path it walks with the same u(t) plain decoding would use at that position, and
 * accepts a drafted child only if it is that token. So a seeded request's output depends neither on what was
 * drafted nor on the planner's timing: it is what plain decoding samples with that seed. For deterministic
 * drafts (q = 1 on the proposed token) a child is accepted with exactly the probability recursive rejection over
 * the siblings gives, p of that child, so acceptance loses nothing to this coupling.
 */
public final class SamplingNoise {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private final long seed;

    public SamplingNoise(long seed) {
        this.seed = seed;
    }

    /** A uniform in [0, 1) for the token at {@code position}: SplitMix64 of the seed and the position. */
    public double at(int position) {
        long z = seed + GOLDEN * (position + 1L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return (z >>> 11) * 0x1.0p-53;
    }
}
