package dev.specserve.drafters;

import dev.specserve.runtime.spec.DraftTree;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.PriorityQueue;

/**
 * A read-only datastore for lookup drafting, as REST (retrieval-based speculative decoding) uses one: a suffix array
 * over a corpus of token documents, each ended by the EOS id. The corpus a model ships ({@code lookup} in its
 * manifest) holds the target's own greedy continuations of training text, so what it proposes is what the target
 * tends to say, not what people wrote; verification decides as for every draft, so output is unchanged.
 *
 * <p>A draft finds the longest suffix of the context (up to {@code maxMatch} tokens) that occurs in the corpus; its
 * occurrences are one range of the suffix array, sorted by what follows them, so the continuations form a trie whose
 * children are runs of that range and whose counts are run lengths. The most frequent paths are taken best first:
 * every occurrence counts, not only a few recent ones. Immutable and thread-safe.
 */
public final class LookupCorpus {
    /** A 1 GiB file; building the suffix array takes 16 bytes per token, holding it 8. */
    public static final int MAX_TOKENS = 1 << 28;
    /** Continuations rarer than this share of their parent's occurrences are not expanded. */
    private static final double MIN_SHARE = 0.02;

    private final int[] tokens;
    private final SuffixArray index;
    private final int eos;
    private final int documents;

    private LookupCorpus(int[] tokens, int eos) {
        this.tokens = tokens;
        this.eos = eos;
        this.index = new SuffixArray(tokens);
        int d = 0;
        for (int t : tokens) {
            d += t == eos ? 1 : 0;
        }
        this.documents = d;
    }

    /** A corpus of {@code tokens}: documents each ended by {@code eos} (a missing final EOS is added). */
    public static LookupCorpus of(int[] tokens, int eos) {
        int[] t = tokens.length == 0 || tokens[tokens.length - 1] == eos ? tokens.clone()
                : Arrays.copyOf(tokens, tokens.length + 1);
        if (t.length > tokens.length) {
            t[t.length - 1] = eos;
        }
        if (t.length > MAX_TOKENS) {
            throw new IllegalArgumentException("lookup corpus has " + t.length + " tokens; at most " + MAX_TOKENS);
        }
        return new LookupCorpus(t, eos);
    }

    /**
     * Reads a corpus file: little-endian uint32 token ids, each document followed by {@code eos} (what
     * {@code bin/specserve lookup-corpus} and {@code tokenize} write). Ids must be below {@code vocab}.
     */
    public static LookupCorpus load(Path file, int vocab, int eos) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read lookup corpus " + file + ": " + e.getMessage(), e);
        }
        if (bytes.length % 4 != 0) {
            throw new IllegalArgumentException("lookup corpus " + file + " is " + bytes.length
                    + " bytes, not a whole number of uint32 token ids");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int[] ids = new int[bytes.length / 4];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = b.getInt();
            if (ids[i] < 0 || ids[i] >= vocab) {
                throw new IllegalArgumentException("lookup corpus " + file + " has token id "
                        + Integer.toUnsignedString(ids[i]) + " at " + i + ", outside the vocabulary [0, " + vocab + ")");
            }
        }
        return of(ids, eos);
    }

    public int tokens() {
        return tokens.length;
    }

    public int documents() {
        return documents;
    }

    /**
     * The continuations of the longest corpus match of {@code context[0..length)}'s suffix, best first by their
     * share of the match's occurrences: at most {@code maxNodes} nodes, at most {@code maxDepth} deep and no deeper
     * than {@code specFactor} times the match length. Each node is a lookup node carrying its share among its
     * siblings, the match length and its occurrence count. Empty when no suffix of at least {@link SuffixArray#MIN_MATCH}
     * tokens occurs.
     */
    public DraftTree draft(int[] context, int length, int maxMatch, double specFactor, int maxNodes, int maxDepth) {
        return draft(new SuffixArray.Cursor(), context, length, maxMatch, specFactor, maxNodes, maxDepth);
    }

    /**
     * {@link #draft(int[], int, int, double, int, int)} for a context that only grows between calls: the cursor
     * keeps the last call's match, so a call extends it by the tokens appended since (a narrowing of its
     * suffix-array range per token) and searches afresh only where the match breaks. The result is the same.
     */
    DraftTree draft(SuffixArray.Cursor cursor, int[] context, int length, int maxMatch, double specFactor, int maxNodes,
                    int maxDepth) {
        DraftTree tree = new DraftTree();
        int depthLimit = Math.min(maxDepth, SuffixArray.SORTED_DEPTH / 2);
        SuffixArray.Range match = cursor.advance(index, context, length,
                Math.min(maxMatch, SuffixArray.SORTED_DEPTH - depthLimit));
        if (match == null || maxNodes <= 0) {
            return tree;
        }
        depthLimit = (int) Math.min(depthLimit, Math.ceil(specFactor * match.length()));
        PriorityQueue<Candidate> frontier = new PriorityQueue<>();
        addChildren(frontier, DraftTree.ROOT, match.lo(), match.hi(), match.length(), 0, 1.0);
        while (!frontier.isEmpty() && tree.size() < maxNodes) {
            Candidate c = frontier.poll();
            int node = tree.addLookup(c.parent, c.token, (float) Math.log(c.probability), (float) c.share,
                    match.length(), c.hi - c.lo);
            tree.markCorpus(node);
            int depth = tree.depth(node);
            if (c.token != eos && depth < depthLimit) {
                addChildren(frontier, node, c.lo, c.hi, match.length() + depth, depth, c.probability);
            }
        }
        return tree;
    }

    private record Candidate(int parent, int token, int lo, int hi, double share, double probability)
            implements Comparable<Candidate> {
        @Override
        public int compareTo(Candidate o) {
            return Double.compare(o.probability, probability);
        }
    }

    /** Runs of equal tokens at {@code offset} within suffixes [lo, hi), which all share their first offset tokens. */
    private void addChildren(PriorityQueue<Candidate> frontier, int parent, int lo, int hi, int offset, int depth,
                             double probability) {
        int total = hi - lo;
        int i = lo;
        while (i < hi) {
            int t = index.at(index.suffix(i) + offset);
            int end = index.runEnd(i, hi, offset, t);
            double share = (double) (end - i) / total;
            if (t >= 0 && share >= MIN_SHARE) {
                frontier.add(new Candidate(parent, t, i, end, share, probability * share));
            }
            i = end;
        }
    }

}
