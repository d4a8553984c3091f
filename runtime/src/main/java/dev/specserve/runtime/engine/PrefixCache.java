package dev.specserve.runtime.engine;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.specserve.runtime.kv.KvCache;
import dev.specserve.runtime.spec.PrefixState;
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
 */
public final class PrefixCache {
    private static final long SEED = 0x9E3779B97F4A7C15L;

    /** One block: the tokens of the whole prefix it ends, and that block's rows only. */
    private record Block(int[] prefixTokens, float[][] kvRows, float[] hidden, long bytes) {}

    private final int block;
    private final Cache<Long, Block> cache;
    private final AtomicLong promptTokens = new AtomicLong();
    private final AtomicLong hitTokens = new AtomicLong();

    public PrefixCache(long maxBytes, int blockTokens) {
        if (blockTokens <= 0) {
            throw new IllegalArgumentException("prefix block must be at least one token, got " + blockTokens);
        }
        this.block = blockTokens;
        this.cache = Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .weigher((Long k, Block e) -> (int) Math.min(Integer.MAX_VALUE, e.bytes()))
                .build();
    }

    public int blockTokens() {
        return block;
    }

    /**
     * The longest cached block-aligned prefix of {@code prompt} that leaves at least one token to prefill,
     * assembled from its blocks, or null. Counts the prompt's tokens and the tokens served.
     */
    public PrefixState lookup(int[] prompt) {
        promptTokens.addAndGet(prompt.length);
        List<Block> run = run(prompt);
        if (run.isEmpty()) {
            return null;
        }
        int length = run.size() * block;
        int tensors = run.get(0).kvRows().length;
        int rowFloats = run.get(0).kvRows()[0].length / block;
        int dim = run.get(0).hidden().length / block;
        float[][] kv = new float[tensors][length * rowFloats];
        float[] hidden = new float[length * dim];
        for (int i = 0; i < run.size(); i++) {
            Block b = run.get(i);
            for (int t = 0; t < tensors; t++) {
                System.arraycopy(b.kvRows()[t], 0, kv[t], i * block * rowFloats, block * rowFloats);
            }
            System.arraycopy(b.hidden(), 0, hidden, i * block * dim, block * dim);
        }
        hitTokens.addAndGet(length);
        return new PrefixState(length, kv, hidden);
    }

    /**
     * Like {@link #lookup} but copies the run's rows block by block straight into {@code kv} (emptied first),
     * with no assembled copy: the returned state has {@code kvRows == null} and {@code kv} holds its rows.
     */
    public PrefixState loadInto(int[] prompt, KvCache kv) {
        promptTokens.addAndGet(prompt.length);
        List<Block> run = run(prompt);
        if (run.isEmpty()) {
            return null;
        }
        int length = run.size() * block;
        int dim = run.get(0).hidden().length / block;
        float[] hidden = new float[length * dim];
        kv.truncate(0);
        for (int i = 0; i < run.size(); i++) {
            kv.appendRows(run.get(i).kvRows(), block);
            System.arraycopy(run.get(i).hidden(), 0, hidden, i * block * dim, block * dim);
        }
        hitTokens.addAndGet(length);
        return new PrefixState(length, null, hidden);
    }

    /**
     * Stores the blocks of {@code prompt}'s aligned prefix that are not cached yet, copying their rows from
     * {@code kv} (which holds the prompt's rows from 0) and their hidden states from {@code hidden}
     * ({@code dim} floats per prompt token). Returns the number of blocks added.
     */
    public int store(int[] prompt, KvCache kv, float[] hidden, int dim) {
        int blocks = alignedLength(prompt.length) / block;
        int added = 0;
        long key = SEED;
        for (int i = 0; i < blocks; i++) {
            key = chain(key, prompt, i * block);
            int end = (i + 1) * block;
            Block have = cache.getIfPresent(key);
            if (have != null && Arrays.equals(have.prefixTokens(), 0, end, prompt, 0, end)) {
                continue;
            }
            float[][] rows = kv.copyRows(i * block, block);
            float[] h = Arrays.copyOfRange(hidden, i * block * dim, end * dim);
            long bytes = 64L + (long) end * Integer.BYTES + (long) h.length * Float.BYTES;
            for (float[] r : rows) {
                bytes += 16L + (long) r.length * Float.BYTES;
            }
            cache.put(key, new Block(Arrays.copyOf(prompt, end), rows, h, bytes));
            added++;
        }
        return added;
    }

    /** Prefix length a prompt of this length may take from the cache: whole blocks, at least one token left. */
    public int alignedLength(int promptLength) {
        return promptLength <= 0 ? 0 : ((promptLength - 1) / block) * block;
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

    /** Fraction of looked-up prompt tokens that were served from the cache. */
    public double hitRate() {
        long p = promptTokens.get();
        return p == 0 ? 0 : (double) hitTokens.get() / p;
    }

    private List<Block> run(int[] prompt) {
        int blocks = alignedLength(prompt.length) / block;
        List<Block> run = new ArrayList<>();
        long key = SEED;
        for (int i = 0; i < blocks; i++) {
            key = chain(key, prompt, i * block);
            int end = (i + 1) * block;
            Block b = cache.getIfPresent(key);
            if (b == null || !Arrays.equals(b.prefixTokens(), 0, end, prompt, 0, end)) {
                break;
            }
            run.add(b);
        }
        return run;
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
