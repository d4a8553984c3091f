package dev.specserve.drafters;

import java.util.Arrays;

/**
 * The index behind {@link LookupCorpus}: suffix start positions of a token corpus, sorted by their first
 * {@link #SORTED_DEPTH} tokens, so the suffixes that start with a pattern are one contiguous range, and the
 * searches over it: the longest suffix of a context that occurs, one token more of a match, and runs of equal
 * tokens at an offset. Immutable and thread-safe; a {@link Cursor} follows one growing context.
 */
final class SuffixArray {
    /** Suffixes are sorted by this many leading tokens; a match plus its continuation stays within it. */
    static final int SORTED_DEPTH = 64;
    /** Matches shorter than this propose nothing (a single shared token says little). */
    static final int MIN_MATCH = 2;

    /** Suffixes [lo, hi) of the array, which all start with the same {@code length} tokens. */
    record Range(int lo, int hi, int length) {}

    private final int[] tokens;
    private final int[] suffixes;
    /** Suffixes starting with token t are suffixes[firstToken[t] .. firstToken[t + 1]). */
    private final int[] firstToken;

    SuffixArray(int[] tokens) {
        this.tokens = tokens;
        this.suffixes = sort(tokens);
        this.firstToken = firstTokenRanges(tokens, suffixes);
    }

    /** Where the i-th suffix in sorted order starts in the corpus. */
    int suffix(int i) {
        return suffixes[i];
    }

    /**
     * Where one growing context's longest match stands. Appending token t to a context whose longest match has
     * length L (below the cap) gives a longest match of L + 1 exactly when the match followed by t occurs, whose
     * range lies inside the old one; otherwise the new longest is at most L (a longer one would contain a match
     * longer than L before t), and only lengths up to L are searched. Not thread-safe: one per request.
     */
    static final class Cursor {
        /** Context tokens the match accounts for; 0 before the first call. */
        private int consumed;
        private int cap;
        /** The longest match, or null when no suffix of at least {@link #MIN_MATCH} tokens occurs. */
        private Range match;

        Range advance(SuffixArray index, int[] context, int length, int cap) {
            if (consumed == 0 || length < consumed || cap != this.cap || length - consumed > cap) {
                match = index.longestMatch(context, length, cap);
            } else {
                for (int end = consumed + 1; end <= length; end++) {
                    Range longer = match == null || match.length >= cap ? null : index.extend(match, context[end - 1]);
                    // not extended: the new longest is no longer than the old (at most MIN_MATCH when there was none)
                    match = longer != null ? longer
                            : index.longestMatch(context, end, match == null ? MIN_MATCH : match.length);
                }
            }
            consumed = length;
            this.cap = cap;
            return match;
        }
    }

    /** The suffixes of {@code match}'s range followed by {@code t}: the match one token longer, or null. */
    Range extend(Range match, int t) {
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

    /** The first index in (i, hi) whose token at {@code offset} exceeds {@code t}, or hi. */
    int runEnd(int i, int hi, int offset, int t) {
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

    int at(int position) {
        return position < tokens.length ? tokens[position] : -1;
    }

    /** The longest suffix of the context (at least {@link #MIN_MATCH}, at most maxMatch tokens) that occurs. */
    Range longestMatch(int[] context, int length, int maxMatch) {
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
    static int[] sort(int[] tokens) {
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
