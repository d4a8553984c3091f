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
    /** Suffixes are sorted by this many leading tokens; a match plus its continuation stays within it. */
    static final int SORTED_DEPTH = 64;
    /** A 1 GiB file; building the suffix array takes 16 bytes per token, holding it 8. */
    public static final int MAX_TOKENS = 1 << 28;
    /** Matches shorter than this propose nothing (a single shared token says little). */
    static final int MIN_MATCH = 2;
    /** Continuations rarer than this share of their parent's occurrences are not expanded. */
    private static final double MIN_SHARE = 0.02;

    private final int[] tokens;
    private final int[] suffixes;
    /** Suffixes starting with token t are suffixes[firstToken[t] .. firstToken[t + 1]). */
    private final int[] firstToken;
    private final int eos;
    private final int documents;

    private LookupCorpus(int[] tokens, int eos) {
        this.tokens = tokens;
        this.eos = eos;
        this.suffixes = suffixArray(tokens);
        this.firstToken = firstTokenRanges(tokens, suffixes);
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
     * siblings, the match length and its occurrence count. Empty when no suffix of at least {@link #MIN_MATCH}
     * tokens occurs.
     */
    public DraftTree draft(int[] context, int length, int maxMatch, double specFactor, int maxNodes, int maxDepth) {
        return draft(new Cursor(), context, length, maxMatch, specFactor, maxNodes, maxDepth);
    }

    /**
     * {@link #draft(int[], int, int, double, int, int)} for a context that only grows between calls: the cursor
     * keeps the last call's match, so a call extends it by the tokens appended since (a narrowing of its
     * suffix-array range per token) and searches afresh only where the match breaks. The result is the same.
     */
    public DraftTree draft(Cursor cursor, int[] context, int length, int maxMatch, double specFactor, int maxNodes,
                           int maxDepth) {
        DraftTree tree = new DraftTree();
        int depthLimit = Math.min(maxDepth, SORTED_DEPTH / 2);
        Range match = cursor.advance(this, context, length, Math.min(maxMatch, SORTED_DEPTH - depthLimit));
        if (match == null || maxNodes <= 0) {
            return tree;
        }
        depthLimit = (int) Math.min(depthLimit, Math.ceil(specFactor * match.length));
        PriorityQueue<Candidate> frontier = new PriorityQueue<>();
        addChildren(frontier, DraftTree.ROOT, match.lo, match.hi, match.length, 0, 1.0);
        while (!frontier.isEmpty() && tree.size() < maxNodes) {
            Candidate c = frontier.poll();
            int node = tree.addLookup(c.parent, c.token, (float) Math.log(c.probability), (float) c.share,
                    match.length, c.hi - c.lo);
            tree.markCorpus(node);
            int depth = tree.depth(node);
            if (c.token != eos && depth < depthLimit) {
                addChildren(frontier, node, c.lo, c.hi, match.length + depth, depth, c.probability);
            }
        }
        return tree;
    }

    private record Range(int lo, int hi, int length) {}

    /**
     * Where one growing context's longest match stands. Appending token t to a context whose longest match has
     * length L (below the cap) gives a longest match of L + 1 exactly when the match followed by t occurs, whose
     * range lies inside the old one; otherwise the new longest is at most L (a longer one would contain a match
     * longer than L before t), and only lengths up to L are searched. Not thread-safe: one per request.
     */
    public static final class Cursor {
        /** Context tokens the match accounts for; 0 before the first call. */
        private int consumed;
        private int cap;
        /** The longest match, or null when no suffix of at least {@link #MIN_MATCH} tokens occurs. */
        private Range match;

        Range advance(LookupCorpus corpus, int[] context, int length, int cap) {
            if (consumed == 0 || length < consumed || cap != this.cap || length - consumed > cap) {
                match = corpus.longestMatch(context, length, cap);
            } else {
                for (int end = consumed + 1; end <= length; end++) {
                    Range longer = match == null || match.length >= cap ? null : corpus.extend(match, context[end - 1]);
                    // not extended: the new longest is no longer than the old (at most MIN_MATCH when there was none)
                    match = longer != null ? longer
                            : corpus.longestMatch(context, end, match == null ? MIN_MATCH : match.length);
                }
            }
            consumed = length;
            this.cap = cap;
            return match;
        }
    }

    /** The suffixes of {@code match}'s range followed by {@code t}: the match one token longer, or null. */
    private Range extend(Range match, int t) {
        int lo = match.lo;
        int hi = match.hi;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (at(suffixes[mid] + match.length) < t) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        if (lo == match.hi || at(suffixes[lo] + match.length) != t) {
            return null;
        }
        return new Range(lo, runEnd(lo, match.hi, match.length, t), match.length + 1);
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
            int t = at(suffixes[i] + offset);
            int end = runEnd(i, hi, offset, t);
            double share = (double) (end - i) / total;
            if (t >= 0 && share >= MIN_SHARE) {
                frontier.add(new Candidate(parent, t, i, end, share, probability * share));
            }
            i = end;
        }
    }

    /** The first index in (i, hi) whose token at {@code offset} exceeds {@code t}, or hi. */
    private int runEnd(int i, int hi, int offset, int t) {
        int lo = i + 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (at(suffixes[mid] + offset) <= t) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private int at(int position) {
        return position < tokens.length ? tokens[position] : -1;
    }

    /** The longest suffix of the context (at least {@link #MIN_MATCH}, at most maxMatch tokens) that occurs. */
    private Range longestMatch(int[] context, int length, int maxMatch) {
        int lo = MIN_MATCH - 1;
        int hi = Math.min(maxMatch, length);
        Range best = null;
        while (lo < hi) { // occurring is monotone in the suffix length: search for the longest
            int mid = (lo + hi + 1) >>> 1;
            Range r = occurrences(context, length - mid, length);
            if (r != null) {
                best = r;
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return best;
    }

    /** The suffix-array range of the suffixes starting with context[from..to), or null if none does. */
    private Range occurrences(int[] context, int from, int to) {
        int first = context[from];
        if (first < 0 || first >= firstToken.length - 1) {
            return null;
        }
        int lo = firstToken[first];
        int end = firstToken[first + 1];
        int hi = end;
        while (lo < hi) { // every suffix here starts with the first token: compare from the second
            int mid = (lo + hi) >>> 1;
            if (compare(suffixes[mid] + 1, context, from + 1, to) < 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        int start = lo;
        hi = end;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (compare(suffixes[mid] + 1, context, from + 1, to) <= 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo > start ? new Range(start, lo, to - from) : null;
    }

    /** Compares the suffix at {@code s}, cut to the pattern's length, with the pattern. */
    private int compare(int s, int[] pattern, int from, int to) {
        for (int j = from; j < to; j++, s++) {
            if (s >= tokens.length) {
                return -1;
            }
            if (tokens[s] != pattern[j]) {
                return tokens[s] < pattern[j] ? -1 : 1;
            }
        }
        return 0;
    }

    /** For each token t (up to the largest in the corpus, plus one), where its suffixes start in {@code sa}. */
    private static int[] firstTokenRanges(int[] tokens, int[] sa) {
        int alphabet = tokens.length == 0 ? 0 : Arrays.stream(tokens).max().getAsInt() + 1;
        int[] start = new int[alphabet + 1];
        for (int t : tokens) {
            start[t + 1]++;
        }
        for (int t = 1; t <= alphabet; t++) {
            start[t] += start[t - 1];
        }
        return start;
    }

    /**
     * Suffix start positions sorted by their first {@link #SORTED_DEPTH} tokens (a shorter suffix first), by prefix
     * doubling with counting sorts: each pass orders by (rank of the first k tokens, rank of the next k), the
     * second key from the previous order and the first by a stable counting sort, so a pass is linear.
     */
    static int[] suffixArray(int[] tokens) {
        int n = tokens.length;
        int[] sa = new int[n];
        int[] rank = new int[n];
        int[] next = new int[n];
        int[] byNext = new int[n];
        if (n == 0) {
            return sa;
        }
        int alphabet = Arrays.stream(tokens).max().getAsInt() + 1;
        int[] count = new int[Math.max(alphabet, n) + 1];
        for (int t : tokens) {
            count[t + 1]++;
        }
        for (int r = 1; r <= alphabet; r++) {
            count[r] += count[r - 1];
        }
        for (int i = 0; i < n; i++) {
            sa[count[tokens[i]]++] = i;
        }
        int classes = rerank(sa, rank, tokens, 0);
        for (int k = 1; k < SORTED_DEPTH && classes < n; k *= 2) {
            int p = 0;
            for (int i = n - k; i < n; i++) {
                byNext[p++] = i; // nothing k tokens on: the smallest second key
            }
            for (int i : sa) {
                if (i >= k) {
                    byNext[p++] = i - k;
                }
            }
            Arrays.fill(count, 0, classes + 1, 0);
            for (int i = 0; i < n; i++) {
                count[rank[i] + 1]++;
            }
            for (int r = 1; r <= classes; r++) {
                count[r] += count[r - 1];
            }
            for (int i : byNext) {
                sa[count[rank[i]]++] = i;
            }
            classes = rerank(sa, next, rank, k);
            int[] swap = rank;
            rank = next;
            next = swap;
        }
        return sa;
    }

    /**
     * Dense ranks into {@code out} for suffixes in {@code sa} order, equal when both their key at i and their rank
     * k positions on (k = 0: the key alone) are equal; returns the number of distinct ranks.
     */
    private static int rerank(int[] sa, int[] out, int[] key, int k) {
        int n = sa.length;
        int r = 0;
        out[sa[0]] = 0;
        for (int j = 1; j < n; j++) {
            int a = sa[j - 1];
            int b = sa[j];
            boolean same = key[a] == key[b]
                    && (k == 0 || (a + k < n ? key[a + k] : -1) == (b + k < n ? key[b + k] : -1));
            out[b] = same ? r : ++r;
        }
        return r + 1;
    }
}
