package dev.specserve.runtime.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.runtime.kv.KvCache;
import dev.specserve.runtime.spec.PrefixState;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class PrefixCacheTest {
    static final int BLOCK = 4;
    static final int DIM = 2;

    /** A prefilled cache whose row r holds the value 1000*t + token[r] (tensor t): rows are a function of the prompt. */
    static KvCache prefilled(int[] prompt) {
        KvCache cache = new KvCache(1, 1, 3, 64);
        FloatBuffer[] p = new FloatBuffer[2];
        for (int t = 0; t < 2; t++) {
            p[t] = FloatBuffer.allocate(prompt.length * 3);
            for (int r = 0; r < prompt.length; r++) {
                for (int i = 0; i < 3; i++) {
                    p[t].put(r * 3 + i, 1000 * t + prompt[r]);
                }
            }
        }
        cache.appendAll(p, prompt.length);
        return cache;
    }

    static float[] hidden(int[] prompt) {
        float[] h = new float[prompt.length * DIM];
        for (int r = 0; r < prompt.length; r++) {
            Arrays.fill(h, r * DIM, (r + 1) * DIM, prompt[r]);
        }
        return h;
    }

    static int[] tokens(int from, int count) {
        return IntStream.range(from, from + count).toArray();
    }

    static int[] concat(int[] a, int[] b) {
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    static void store(PrefixCache cache, int[] prompt) {
        cache.store(prompt, prefilled(prompt), hidden(prompt), DIM);
    }

    /** What a prompt gets from the cache: the prefix length, its KV rows per tensor, its hidden states. */
    record Hit(int length, float[][] kvRows, float[] hidden) {}

    /** Loads the prompt's longest cached prefix into a fresh cache, as the engine does; null on a miss. */
    static Hit lookup(PrefixCache cache, int[] prompt) {
        KvCache into = new KvCache(1, 1, 3, 64);
        PrefixState s = cache.loadInto(prompt, into);
        if (s == null) {
            return null;
        }
        assertThat(into.length()).isEqualTo(s.length());
        return new Hit(s.length(), into.copyRows(s.length()), s.hidden());
    }

    @Test
    void aSharedSystemPromptFollowedByADifferentSuffixReusesTheLongestCachedPrefix() {
        PrefixCache cache = new PrefixCache(1 << 20, BLOCK);
        int[] system = tokens(100, 10);                        // 2 whole blocks + 2 tokens
        int[] first = concat(system, tokens(500, 7));          // 17 tokens: blocks 0..3 stored
        store(cache, first);
        int[] second = concat(system, tokens(700, 9));         // shares 10 tokens: blocks 0 and 1

        Hit hit = lookup(cache, second);

        assertThat(hit.length()).isEqualTo(8);
        float[] expectedRow7 = {1000 + second[7], 1000 + second[7], 1000 + second[7]};
        assertThat(Arrays.copyOfRange(hit.kvRows()[1], 7 * 3, 8 * 3)).containsExactly(expectedRow7);
        assertThat(hit.hidden()).containsExactly(Arrays.copyOf(hidden(second), 8 * DIM));
        assertThat(cache.hitRate()).isEqualTo(8.0 / second.length);   // tokens, not requests

        store(cache, second);                                  // adds only its own blocks 2 and 3
        assertThat(cache.blocks()).isEqualTo(6);
        assertThat(lookup(cache, concat(second, tokens(900, 3))).length()).isEqualTo(16);
    }

    @Test
    void anyoneWhosePromptStartsWithACachedPrefixHitsAndAMismatchInAnEarlyBlockMisses() {
        PrefixCache cache = new PrefixCache(1 << 20, BLOCK);
        store(cache, tokens(0, 13));
        assertThat(lookup(cache, tokens(0, 5)).length()).isEqualTo(4);
        assertThat(lookup(cache, tokens(0, 4))).as("at least one token is left to prefill").isNull();
        int[] changedFirstBlock = tokens(0, 13);
        changedFirstBlock[1] = 77;
        assertThat(lookup(cache, changedFirstBlock)).isNull();
        int[] changedThirdBlock = tokens(0, 13);
        changedThirdBlock[9] = 77;
        assertThat(lookup(cache, changedThirdBlock).length()).isEqualTo(8);
    }

    @Test
    void promptsDifferingOnlyInABlocksLastTokenAreCachedSideBySide() {
        PrefixCache cache = new PrefixCache(1 << 20, BLOCK);
        int[] a = tokens(0, 2 * BLOCK + 1);
        int[] b = a.clone();
        b[BLOCK - 1] = 77;                                     // the first block's last token: every key differs

        store(cache, a);
        store(cache, b);

        assertThat(cache.blocks()).as("neither prompt's blocks gave way to the other's").isEqualTo(4);
        assertThat(lookup(cache, a).length()).isEqualTo(2 * BLOCK);
        assertThat(lookup(cache, b).length()).isEqualTo(2 * BLOCK);
    }

    @Test
    void evictionKeepsTheByteBound() {
        PrefixCache probe = new PrefixCache(1 << 20, BLOCK);
        store(probe, tokens(0, 5));
        long blockBytes = probe.bytes();
        long bound = 10 * blockBytes;
        PrefixCache cache = new PrefixCache(bound, BLOCK);
        for (int i = 0; i < 40; i++) {
            store(cache, tokens(1000 * i, 4 * BLOCK + 1));     // 4 fresh blocks each
            assertThat(cache.bytes()).isLessThanOrEqualTo(bound);
        }
        assertThat(cache.blocks()).isBetween(1L, 10L);
    }

    @Test
    void evictedBlocksHandTheirNativeMemoryToNewOnesAndReusedSlotsHoldOnlyTheNewRows() {
        PrefixCache probe = new PrefixCache(1 << 20, BLOCK);
        store(probe, tokens(0, 5));
        long bound = 10 * probe.bytes();
        PrefixCache cache = new PrefixCache(bound, BLOCK);
        for (int i = 0; i < 40; i++) {
            store(cache, tokens(1000 * i, 4 * BLOCK + 1));
        }
        assertThat(cache.nativeBytes()).isPositive().isLessThanOrEqualTo(bound);
        assertThat(cache.skippedBlocks()).isZero();

        int hits = 0;
        for (int i = 0; i < 40; i++) { // whichever blocks survived eviction hold their own prompt's rows
            int[] prompt = tokens(1000 * i, 4 * BLOCK + 1);
            Hit hit = lookup(cache, prompt);
            if (hit == null) {
                continue;
            }
            hits++;
            Hit expected = lookupFresh(prompt);
            for (int t = 0; t < 2; t++) {
                assertThat(hit.kvRows()[t]).containsExactly(Arrays.copyOf(expected.kvRows()[t], hit.length() * 3));
            }
            assertThat(hit.hidden()).containsExactly(Arrays.copyOf(expected.hidden(), hit.length() * DIM));
        }
        assertThat(hits).isPositive();
    }

    private static Hit lookupFresh(int[] prompt) {
        PrefixCache fresh = new PrefixCache(1 << 20, BLOCK);
        store(fresh, prompt);
        return lookup(fresh, prompt);
    }

    @Test
    void aFullCacheKeepsStoringTheColdestBlocksGiveWayWhenTheBoundAdmitsAsManyBlocksAsThereAreSlots() {
        int heads = 4;
        int headDim = 64;
        long slotBytes = (2L * BLOCK * heads * headDim + (long) BLOCK * DIM) * Float.BYTES;
        long bound = slotBytes * 7 / 2;                        // 3 slots; the weights admit 3 blocks too
        PrefixCache cache = new PrefixCache(bound, BLOCK);
        for (int i = 0; i < 10; i++) {
            int[] prompt = tokens(100 * i, 4 * BLOCK + 1);
            KvCache kv = new KvCache(1, heads, headDim, 64);
            FloatBuffer[] rows = {FloatBuffer.allocate(prompt.length * heads * headDim),
                    FloatBuffer.allocate(prompt.length * heads * headDim)};
            kv.appendAll(rows, prompt.length);
            assertThat(cache.store(prompt, kv, hidden(prompt), DIM)).isPositive();
        }
        assertThat(cache.skippedBlocks()).isZero();
        assertThat(cache.blocks()).isBetween(1L, 3L);
        assertThat(cache.nativeBytes()).isLessThanOrEqualTo(bound);
    }
}
