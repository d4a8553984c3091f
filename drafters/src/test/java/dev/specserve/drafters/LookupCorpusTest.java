package dev.specserve.drafters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.DraftSession;
import dev.specserve.runtime.spec.DraftTree;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lookup corpus as a specification: what it proposes for a context, and which files it refuses. */
class LookupCorpusTest {
    private static final int EOS = 0;

    private static DraftTree draft(LookupCorpus c, int[] context, int maxNodes, int maxDepth) {
        return c.draft(context, context.length, 64, 2.0, maxNodes, maxDepth);
    }

    @Test
    void aCursorFollowingAGrowingContextDraftsWhatAFreshSearchDrafts() {
        Random r = new Random(11);
        for (int round = 0; round < 12; round++) {
            int alphabet = round % 3 == 0 ? 3 : round % 3 == 1 ? 12 : 60;
            int[] corpus = IntStream.range(0, 4000).map(i -> 1 + r.nextInt(alphabet)).toArray();
            for (int i = 0; i < corpus.length; i += 50 + r.nextInt(200)) {
                corpus[i] = EOS;
            }
            LookupCorpus c = LookupCorpus.of(corpus, EOS);
            // a context that copies corpus runs (long matches that break) and wanders off between them
            int[] context = new int[600];
            int n = 0;
            while (n < context.length) {
                if (r.nextBoolean()) {
                    int from = r.nextInt(corpus.length - 80);
                    for (int k = 0; k < 5 + r.nextInt(70) && n < context.length; k++) {
                        context[n++] = corpus[from + k] == EOS ? 1 : corpus[from + k];
                    }
                } else {
                    for (int k = 0; k < 1 + r.nextInt(4) && n < context.length; k++) {
                        context[n++] = 1 + r.nextInt(alphabet + 2); // now and then a token the corpus lacks
                    }
                }
            }
            int maxDepth = 2 + round % 5;
            SuffixArray.Cursor cursor = new SuffixArray.Cursor();
            for (int length = 1; length <= context.length; length += 1 + r.nextInt(4)) { // rounds commit 1-4 tokens
                DraftTree followed = c.draft(cursor, context, length, 64, 2.0, 12, maxDepth);
                DraftTree fresh = c.draft(context, length, 64, 2.0, 12, maxDepth);
                assertThat(paths(followed)).as("round %d, context length %d", round, length).isEqualTo(paths(fresh));
            }
        }
    }

    private static java.util.List<String> paths(DraftTree t) {
        return IntStream.range(0, t.size())
                .mapToObj(n -> Arrays.toString(Arrays.stream(t.path(n)).map(t::token).toArray()) + " x"
                        + t.suffixSupport(n) + " m" + t.suffixMatch(n))
                .toList();
    }

    @Test
    void theLongestMatchsMostFrequentContinuationComesFirst() {
        // after "5 6 7": 8 9 twice, 8 3 once; after only "6 7" (a shorter match) 1 1 would follow
        LookupCorpus c = LookupCorpus.of(new int[] {5, 6, 7, 8, 9, EOS, 5, 6, 7, 8, 9, EOS, 5, 6, 7, 8, 3, EOS,
                2, 6, 7, 1, 1, EOS}, EOS);

        DraftTree t = draft(c, new int[] {4, 5, 6, 7}, 8, 4);

        int eight = t.child(DraftTree.ROOT, 8);
        assertThat(eight).isZero();
        assertThat(t.child(DraftTree.ROOT, 1)).as("the shorter match's continuation").isNegative();
        assertThat(t.suffixMatch(eight)).isEqualTo(3);
        assertThat(t.suffixSupport(eight)).isEqualTo(3);
        assertThat(t.suffixConfidence(eight)).isEqualTo(1f);
        int nine = t.child(eight, 9);
        int three = t.child(eight, 3);
        assertThat(t.suffixConfidence(nine)).isEqualTo(2f / 3);
        assertThat(t.suffixConfidence(three)).isEqualTo(1f / 3);
        assertThat(t.score(nine)).isGreaterThan(t.score(three));
        assertThat(nine).isLessThan(three); // best first
    }

    @Test
    void pathsEndAtTheEndOfTheirDocument() {
        LookupCorpus c = LookupCorpus.of(new int[] {1, 2, 3, EOS, 9, 9, 9, 9, EOS}, EOS);

        DraftTree t = draft(c, new int[] {1, 2}, 8, 8);

        assertThat(t.size()).isEqualTo(2);
        assertThat(t.token(0)).isEqualTo(3);
        assertThat(t.token(1)).isEqualTo(EOS);
    }

    @Test
    void depthFollowsTheMatchLengthAndTheBudget() {
        int[] doc = IntStream.rangeClosed(1, 40).toArray();
        LookupCorpus c = LookupCorpus.of(doc, EOS);

        assertThat(draft(c, new int[] {1, 2}, 32, 16).maxDepth()).as("2 matched tokens, spec factor 2").isEqualTo(4);
        assertThat(draft(c, new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 32, 16).maxDepth()).isEqualTo(16);
        assertThat(draft(c, new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 5, 16).size()).isEqualTo(5);
    }

    @Test
    void aSingleSharedTokenOrNoMatchProposesNothing() {
        LookupCorpus c = LookupCorpus.of(new int[] {1, 2, 3, EOS}, EOS);

        assertThat(draft(c, new int[] {7, 2}, 8, 8).size()).isZero();
        assertThat(draft(c, new int[] {7, 8}, 8, 8).size()).isZero();
        assertThat(draft(c, new int[] {2}, 8, 8).size()).isZero();
    }

    @Test
    void theSuffixDrafterDraftsFromTheCorpusBeforeTheRequestHasRepeatedAnything() {
        LookupCorpus c = LookupCorpus.of(new int[] {10, 11, 12, 13, 14, 15, EOS}, EOS);
        SuffixConfig on = SuffixConfig.defaults();
        SuffixConfig off = new SuffixConfig(64, 16, 2.0, 1 << 20, false, false);

        DraftTree with = propose(new SuffixDrafter(on, c), new int[] {3, 10, 11, 12});
        DraftTree without = propose(new SuffixDrafter(off, c), new int[] {3, 10, 11, 12});

        assertThat(with.size()).isPositive();
        assertThat(with.token(0)).isEqualTo(13);
        assertThat(with.from(0, DraftTree.SUFFIX)).isTrue();
        assertThat(without.size()).isZero();
    }

    @Test
    void theRequestsOwnEvidenceLabelsAPathBothPropose() {
        LookupCorpus c = LookupCorpus.of(new int[] {1, 2, 3, 4, EOS}, EOS);
        SuffixDrafter d = new SuffixDrafter(new SuffixConfig(64, 16, 2.0, 0, false), c);

        DraftTree t = propose(d, new int[] {9, 9, 1, 2, 3, 8, 1, 2}); // own text: "1 2" was followed by 3 once

        int three = t.child(DraftTree.ROOT, 3);
        assertThat(three).isNotNegative();
        assertThat(t.suffixSupport(three)).isEqualTo(1); // the request's one occurrence, not the corpus's
        assertThat(t.child(three, 4)).as("the corpus continues the path").isNotNegative();
        assertThat(t.from(three, DraftTree.CORPUS)).as("counted as the corpus's too").isTrue();
        assertThat(t.from(t.child(three, 8), DraftTree.CORPUS)).as("the request's own continuation").isFalse();
    }

    private static DraftTree propose(SuffixDrafter d, int[] context) {
        try (DraftSession s = d.newSession()) {
            s.start(Arrays.copyOf(context, context.length - 1), null, context[context.length - 1]);
            return s.propose(new DraftBudget(32, 16));
        }
    }

    @Test
    void aCorpusFileIsLittleEndianUint32IdsWithinTheVocabulary(@TempDir Path dir) throws IOException {
        Path good = write(dir.resolve("good.bin"), 5, 6, 7, EOS, 5, 6, 8);
        LookupCorpus c = LookupCorpus.load(good, 16, EOS);
        assertThat(c.tokens()).as("a final EOS is added").isEqualTo(8);
        assertThat(c.documents()).isEqualTo(2);

        Path outside = write(dir.resolve("outside.bin"), 5, 16, EOS);
        assertThatThrownBy(() -> LookupCorpus.load(outside, 16, EOS))
                .hasMessageContaining("token id 16 at 1").hasMessageContaining("outside the vocabulary [0, 16)");
        Path ragged = dir.resolve("ragged.bin");
        Files.write(ragged, new byte[] {1, 0, 0, 0, 2, 0});
        assertThatThrownBy(() -> LookupCorpus.load(ragged, 16, EOS)).hasMessageContaining("6 bytes")
                .hasMessageContaining("not a whole number of uint32");
    }

    private static Path write(Path p, int... ids) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(ids.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int id : ids) {
            b.putInt(id);
        }
        return Files.write(p, b.array());
    }
}
