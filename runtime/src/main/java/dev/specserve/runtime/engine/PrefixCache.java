package dev.specserve.runtime.engine;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.specserve.runtime.spec.SpeculativeDecoder.PrefixState;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Target KV rows and hidden states of prompt prefixes, keyed by whole blocks of tokens, so a shared system
 * prompt or few-shot prefix is prefilled once. Weighed in bytes; Caffeine evicts beyond the maximum.
 */
public final class PrefixCache {
    private record Key(int length, int hash) {}

    private record Entry(int[] tokens, PrefixState state, long bytes) {}

    private final int block;
    private final Cache<Key, Entry> cache;
    private final AtomicLong lookups = new AtomicLong();
    private final AtomicLong hits = new AtomicLong();

    public PrefixCache(long maxBytes, int blockTokens) {
        this.block = blockTokens;
        this.cache = Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .weigher((Key k, Entry e) -> (int) Math.min(Integer.MAX_VALUE, e.bytes()))
                .build();
    }

    /** The longest cached block-aligned prefix of {@code prompt} that leaves at least one token to prefill. */
    public PrefixState lookup(int[] prompt) {
        lookups.incrementAndGet();
        for (int len = alignedLength(prompt.length); len >= block; len -= block) {
            Entry e = cache.getIfPresent(new Key(len, hash(prompt, len)));
            if (e != null && Arrays.equals(e.tokens(), 0, len, prompt, 0, len)) {
                hits.incrementAndGet();
                return e.state();
            }
        }
        return null;
    }

    /** Whether a prefix of this prompt would be stored (and is not already). */
    public boolean wants(int[] prompt) {
        int len = alignedLength(prompt.length);
        return len >= block && cache.getIfPresent(new Key(len, hash(prompt, len))) == null;
    }

    public int alignedLength(int promptLength) {
        return ((promptLength - 1) / block) * block;
    }

    public void put(int[] prompt, PrefixState state) {
        long bytes = (long) state.hidden().length * Float.BYTES + (long) prompt.length * Integer.BYTES;
        for (float[] rows : state.kvRows()) {
            bytes += (long) rows.length * Float.BYTES;
        }
        int len = state.length();
        cache.put(new Key(len, hash(prompt, len)), new Entry(Arrays.copyOf(prompt, len), state, bytes));
    }

    public long bytes() {
        cache.cleanUp();
        return cache.asMap().values().stream().mapToLong(Entry::bytes).sum();
    }

    public double hitRate() {
        long l = lookups.get();
        return l == 0 ? 0 : (double) hits.get() / l;
    }

    private static int hash(int[] tokens, int length) {
        int h = 1;
        for (int i = 0; i < length; i++) {
            h = 31 * h + tokens[i];
        }
        return h;
    }
}
