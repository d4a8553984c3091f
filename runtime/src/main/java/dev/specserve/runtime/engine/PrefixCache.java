package dev.specserve.runtime.engine;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.specserve.runtime.kv.KvCache;
import dev.specserve.runtime.spec.PrefixState;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Target KV rows and hidden states of prompt prefixes, stored once per block of tokens and shared by every
 * prompt that starts with the same blocks, whoever sent it (vLLM's automatic prefix caching).
 *
 * <p>Block i of a prompt is keyed by a hash chained over everything before it,
 * {@code key_i = hash(key_{i-1}, tokens of block i)}, so one key names a whole prefix while the entry holds
 * only its own block's rows. A lookup walks the prompt block by block and reuses the longest cached run;
 * a store adds the blocks of a prefilled prompt that are missing. Each entry also keeps the prefix's tokens,
 * and a block is used only if they equal the prompt's, so a hash collision costs a miss, never a wrong
 * cache. Weighed in bytes; Caffeine evicts beyond the maximum (a block whose parent was evicted is no longer
 * reachable and ages out). The hit rate counts prompt tokens served from the cache, not requests.
 *
 * <p>A block's rows and hidden states live off-heap in a {@link BlockSlab} slot, freed on eviction, so the
 * collector never copies them. Store and look up from one thread (the scheduler's): a slot freed by an
 * eviction on another thread is only reused by the next store. A block that finds no free slot is not
 * stored, and counted ({@link #skippedBlocks()}).
 */
public final class PrefixCache {
    private static final long SEED = 0x9E3779B97F4A7C15L;

    /** One block: the tokens of the whole prefix it ends, and the slab slot holding that block's rows only. */
    private record Block(int[] prefixTokens, int slot, long bytes) {}

    private final int block;
    private final long maxBytes;
    private final Cache<Long, Block> cache;
    private final AtomicLong promptTokens = new AtomicLong();
    private final AtomicLong hitTokens = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    private volatile BlockSlab slab;

    public PrefixCache(long maxBytes, int blockTokens) {
        if (blockTokens <= 0) {
            throw new IllegalArgumentException("prefix block must be at least one token, got " + blockTokens);
        }
        this.block = blockTokens;
        this.maxBytes = maxBytes;
        this.cache = Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .weigher((Long k, Block e) -> (int) Math.min(Integer.MAX_VALUE, e.bytes()))
                .executor(Runnable::run) // evict and notify within the write, so the slot is free for the next block
                .removalListener((Long k, Block e, RemovalCause c) -> slab.release(e.slot()))
                .build();
    }

    public int blockTokens() {
        return block;
    }

    /**
     * Loads the longest cached block-aligned prefix of {@code prompt} that leaves at least one token to
     * prefill into {@code kv} (emptied first), block by block, and returns its length and hidden states; or
     * returns null. Counts the prompt's tokens and the tokens served.
     */
    public PrefixState loadInto(int[] prompt, KvCache kv) {
        promptTokens.addAndGet(prompt.length);
        List<Block> run = run(prompt);
        if (run.isEmpty()) {
            return null;
        }
        int length = run.size() * block;
        float[] hidden = new float[length * slab.dim()];
        FloatBuffer[] rows = new FloatBuffer[slab.kvTensors()];
        kv.truncate(0);
        for (int i = 0; i < run.size(); i++) {
            int slot = run.get(i).slot();
            for (int t = 0; t < rows.length; t++) {
                rows[t] = slab.kv(slot, t);
            }
            kv.appendAll(rows, block);
            slab.hidden(slot).get(hidden, i * block * slab.dim(), block * slab.dim());
        }
        hitTokens.addAndGet(length);
        return new PrefixState(length, hidden);
    }

    /**
     * Stores the blocks of {@code prompt}'s aligned prefix that are not cached yet, copying their rows from
     * {@code kv} (which holds the prompt's rows from 0) and their hidden states from {@code hidden}
     * ({@code dim} floats per prompt token). Returns the number of blocks added.
     */
    public int store(int[] prompt, KvCache kv, float[] hidden, int dim) {
        int blocks = alignedLength(prompt.length) / block;
        if (blocks == 0 || !shapeFits(kv, dim)) {
            return 0;
        }
        int added = 0;
        long key = SEED;
        for (int i = 0; i < blocks; i++) {
            key = chain(key, prompt, i * block);
            int end = (i + 1) * block;
            if (cached(key, prompt, end) != null) {
                continue;
            }
            int slot = freeSlot();
            if (slot < 0) {
                skipped.addAndGet(blocks - i);
                break;
            }
            slab.write(slot, kv, i * block, hidden);
            long bytes = 64L + (long) end * Integer.BYTES + slab.slotBytes();
            cache.put(key, new Block(Arrays.copyOf(prompt, end), slot, bytes)); // a collision's block gives way
            added++;
        }
        return added;
    }

    /** The first store fixes the slot layout; a cache of another shape (none in one engine) is not stored. */
    private boolean shapeFits(KvCache kv, int dim) {
        if (slab == null) {
            slab = BlockSlab.forBytes(kv.tensorCount(), kv.rowFloats(), dim, block, maxBytes);
            slab.reserveInBackground();
        }
        return slab.fits(kv, dim);
    }

    /**
     * A free slot. Evictions free theirs within the write that caused them, but the byte bound weighs token
     * arrays too, so it can admit as many blocks as there are slots: then the coldest block gives way.
     */
    private int freeSlot() {
        int slot = slab.acquire();
        if (slot < 0) {
            cache.policy().eviction().ifPresent(e -> e.coldest(1).keySet().forEach(cache::invalidate));
            slot = slab.acquire();
        }
        return slot;
    }

    /** Prefix length a prompt of this length may take from the cache: whole blocks, at least one token left. */
    public int alignedLength(int promptLength) {
        return promptLength <= 0 ? 0 : ((promptLength - 1) / block) * block;
    }

    public PrefixCacheStats stats() {
        return new PrefixCacheStats(bytes(), hitRate(), skippedBlocks());
    }

    public long bytes() {
        cache.cleanUp();
        return cache.asMap().values().stream().mapToLong(Block::bytes).sum();
    }

    /** Blocks held now. */
    public long blocks() {
        cache.cleanUp();
        return cache.estimatedSize();
    }

    /** Native bytes the slab has allocated: at most the byte bound. */
    long nativeBytes() {
        BlockSlab s = slab;
        return s == null ? 0 : s.allocatedBytes();
    }

    /** Blocks a store left out because every slot was in use. */
    public long skippedBlocks() {
        return skipped.get();
    }

    /** Fraction of looked-up prompt tokens that were served from the cache. */
    public double hitRate() {
        long p = promptTokens.get();
        return p == 0 ? 0 : (double) hitTokens.get() / p;
    }

    private List<Block> run(int[] prompt) {
        int blocks = alignedLength(prompt.length) / block;
        List<Block> run = new ArrayList<>();
        long key = SEED;
        for (int i = 0; i < blocks && slab != null; i++) {
            key = chain(key, prompt, i * block);
            Block b = cached(key, prompt, (i + 1) * block);
            if (b == null) {
                break;
            }
            run.add(b);
        }
        return run;
    }

    /** The block cached under {@code key} if it ends exactly {@code prompt[0, end)} (else a miss or a collision). */
    private Block cached(long key, int[] prompt, int end) {
        Block b = cache.getIfPresent(key);
        return b != null && Arrays.equals(b.prefixTokens(), 0, end, prompt, 0, end) ? b : null;
    }

    /** key_i = hash(key_{i-1}, tokens of block i): a 64-bit mix, so one key stands for the whole prefix. */
    private long chain(long parent, int[] tokens, int from) {
        long h = parent;
        for (int i = from; i < from + block; i++) {
            h = (h ^ tokens[i]) * 0x100000001B3L;
            h ^= h >>> 29;
        }
        return h * 0xBF58476D1CE4E5B9L ^ (h >>> 32);
    }
}
