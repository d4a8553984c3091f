package dev.specserve.drafters;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.DraftSession;
import dev.specserve.runtime.spec.DraftTree;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The suffix index and drafter as a specification: matches, depth by match length, eviction and bounds. */
class SuffixIndexTest {

    static int[] tokens(int... t) {
        return t;
    }

    @Test
    void theLongestEarlierOccurrenceOfTheContextsEndIsFoundWithItsMatchLength() {
        SuffixIndex own = SuffixIndex.growing();
        for (int t : tokens(1, 2, 3, 4, 5, 9, 9, 2, 3, 4, 7, 8, 2, 3, 4)) {
            own.append(t);
        }
        List<SuffixIndex.Match> out = new ArrayList<>();

        own.collect(own.view(), own.length(), 64, 8, out);

        assertThat(out).extracting(SuffixIndex.Match::length).containsExactly(3, 3);
        assertThat(out).extracting(m -> m.tokens()[m.start()]).containsExactly(7, 5);
    }

    @Test
    void theDrafterProposesDeeperWhereTheMatchIsLonger() {
        SuffixDrafter drafter = new SuffixDrafter(new SuffixConfig(64, 16, 1.0, 0));
        // a 2-token match may draft 2 deep; a 6-token match 6 deep
        DraftTree shortMatch = propose(drafter, tokens(5, 6, 40, 41, 42, 43, 44, 45, 46, 1, 5, 6));
        DraftTree longMatch = propose(drafter, tokens(1, 2, 3, 4, 5, 6, 40, 41, 42, 43, 44, 45, 46, 9, 1, 2, 3, 4, 5, 6));

        assertThat(shortMatch.maxDepth()).isEqualTo(2);
        assertThat(longMatch.maxDepth()).isEqualTo(6);
        assertThat(longMatch.token(0)).isEqualTo(40);
        assertThat(longMatch.from(0, DraftTree.SUFFIX)).isTrue();
        assertThat(longMatch.suffixMatch(0)).isEqualTo(6);
    }

    @Test
    void continuationsAreBranchesScoredByHowOftenTheyFollowed() {
        SuffixDrafter drafter = new SuffixDrafter(new SuffixConfig(64, 16, 2.0, 0));
        DraftTree t = propose(drafter, tokens(7, 8, 1, 0, 7, 8, 1, 0, 7, 8, 2, 0, 7, 8));

        int one = t.child(DraftTree.ROOT, 1);
        int two = t.child(DraftTree.ROOT, 2);
        assertThat(one).isNotNegative();
        assertThat(two).isNotNegative();
        assertThat(t.suffixConfidence(one)).isEqualTo(2f / 3);
        assertThat(t.suffixConfidence(two)).isEqualTo(1f / 3);
        assertThat(t.suffixSupport(one)).isEqualTo(2);
    }

    @Test
    void anOutputJoinsTheSharedIndexWhenItsRequestEndsAndLaterRequestsMatchIt() {
        SuffixDrafter drafter = new SuffixDrafter(new SuffixConfig(64, 16, 2.0, 1000));
        DraftSession first = drafter.newSession();
        first.start(tokens(1, 2), null, 30);
        first.commit(tokens(31, 32, 33, 34, 35), null);
        first.close();
        DraftSession second = drafter.newSession();
        second.start(tokens(90, 91, 30), null, 31);

        DraftTree t = second.propose(new DraftBudget(8, 8));

        assertThat(t.size()).isPositive();
        assertThat(t.token(0)).isEqualTo(32);
        assertThat(drafter.shared().documents()).isEqualTo(1);
    }

    @Test
    void theSharedIndexStaysWithinItsTokenBoundByEvictingTheLeastRecentlyUsedOutput() {
        SuffixIndex shared = SuffixIndex.bounded(100);
        for (int doc = 0; doc < 50; doc++) {
            int[] d = new int[30];
            for (int i = 0; i < d.length; i++) {
                d[i] = doc * 1000 + i;
            }
            shared.add(d);
            if (doc == 1) {
                // doc 0 is used after doc 1 arrives, so doc 1 is the least recently used when doc 3 overflows
                List<SuffixIndex.Match> hits = new ArrayList<>();
                shared.collect(tokens(0, 1), 2, 64, 4, hits);
                assertThat(hits).hasSize(1);
            }
            if (doc == 3) {
                assertThat(matches(shared, 1000, 1001)).as("doc 1, least recently used, is evicted").isZero();
                assertThat(matches(shared, 0, 1)).as("doc 0, used recently, is kept").isOne();
            }
            assertThat(shared.tokens()).isLessThanOrEqualTo(100);
            assertThat(shared.postings()).isLessThanOrEqualTo(4 * 100);
        }
        assertThat(shared.evictedDocuments()).isGreaterThanOrEqualTo(46);
        assertThat(matches(shared, 49_000, 49_001)).isOne();
    }

    @Test
    void aDocumentLongerThanTheBoundKeepsOnlyItsLastTokens() {
        SuffixIndex shared = SuffixIndex.bounded(10);
        int[] d = new int[25];
        for (int i = 0; i < d.length; i++) {
            d[i] = i;
        }
        shared.add(d);

        assertThat(shared.tokens()).isEqualTo(10);
        assertThat(matches(shared, 16, 17)).isOne();
        assertThat(matches(shared, 3, 4)).isZero();
    }

    @Test
    void theSharedIndexIsSafeUnderConcurrentWritersAndReaders() throws Exception {
        SuffixIndex shared = SuffixIndex.bounded(5_000);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> work = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            int seed = w;
            work.add(pool.submit(() -> {
                java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
                for (int i = 0; i < 300; i++) {
                    int[] d = rng.ints(40, 0, 50).toArray();
                    shared.add(d);
                    List<SuffixIndex.Match> out = new ArrayList<>();
                    shared.collect(d, 20, 64, 8, out);
                    for (SuffixIndex.Match m : out) {
                        assertThat(m.start()).isLessThan(m.end());
                    }
                }
            }));
        }
        for (Future<?> f : work) {
            f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();

        assertThat(shared.tokens()).isLessThanOrEqualTo(5_000);
        assertThat(shared.postings()).isLessThanOrEqualTo(4 * 5_000);
    }

    private static int matches(SuffixIndex index, int a, int b) {
        List<SuffixIndex.Match> out = new ArrayList<>();
        index.collect(tokens(a, b), 2, 64, 4, out);
        return (int) out.stream().filter(m -> m.length() == 2).count();
    }

    private static DraftTree propose(SuffixDrafter drafter, int[] history) {
        DraftSession s = drafter.newSession();
        s.start(java.util.Arrays.copyOf(history, history.length - 1), null, history[history.length - 1]);
        DraftTree t = s.propose(new DraftBudget(32, 16));
        s.close();
        return t;
    }
}
