package dev.specserve.drafters;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where token sequences occurred before: bigram (and unigram) postings over a set of token documents, so a
 * context's matches are found with one or two hash lookups plus a backward comparison per candidate
 * (O(match length) each). Used two ways:
 * <ul>
 *   <li>per request, over its prompt and output so far (one growing document, {@link #append});</li>
 *   <li>shared by all requests of a strategy, over earlier outputs ({@link #add}), bounded in tokens with
 *       least-recently-used eviction of whole documents.</li>
 * </ul>
 * Thread-safe: the shared index is read and written by whichever thread runs the rounds and finishes
 * sequences.
 */
public final class SuffixIndex {
    /** An earlier occurrence of the context's suffix: {@code length} tokens match and the continuation
     *  is {@code tokens[start..end)}. */
    public record Match(int[] tokens, int start, int end, int length) {}

    private final long maxTokens;
    private final LinkedHashMap<Integer, int[]> docs = new LinkedHashMap<>(16, 0.75f, true);
    private final Map<Long, LongList> postings = new HashMap<>();
    private int[] growing;
    private int growingLength;
    private int nextDoc;
    private long tokens;
    private long livePostings;
    private long deadPostings;
    private long evicted;

    private SuffixIndex(long maxTokens) {
        this.maxTokens = maxTokens;
    }

    /** A shared index of whole documents holding at most {@code maxTokens} tokens. */
    public static SuffixIndex bounded(long maxTokens) {
        return new SuffixIndex(Math.max(1, maxTokens));
    }

    /** A single growing document (one request's prompt and output). */
    public static SuffixIndex growing() {
        SuffixIndex index = new SuffixIndex(Long.MAX_VALUE);
        index.growing = new int[256];
        index.docs.put(0, index.growing);
        index.nextDoc = 1;
        return index;
    }

    static long bigram(int a, int b) {
        return ((long) a << 32) | (b & 0xffffffffL);
    }

    static long unigram(int b) {
        return (-1L << 32) | (b & 0xffffffffL);
    }

    private static long posting(int doc, int pos) {
        return ((long) doc << 32) | pos;
    }

    // ------------------------------------------------------------------ writing

    /** Appends a token to the growing document. */
    public synchronized void append(int token) {
        if (growing == null) {
            throw new IllegalStateException("append is for a growing index; use add");
        }
        if (growingLength == growing.length) {
            growing = Arrays.copyOf(growing, growingLength * 2);
            docs.put(0, growing);
        }
        growing[growingLength++] = token;
        tokens++;
        // the position before this token now has a continuation: index the keys ending there
        index(0, growing, growingLength - 1);
    }

    /** Adds a finished document to a bounded index, evicting the least recently used ones over the bound. */
    public synchronized void add(int[] doc) {
        if (growing != null) {
            throw new IllegalStateException("add is for a bounded index; use append");
        }
        if (doc.length < 2) {
            return;
        }
        int[] d = doc.length > maxTokens ? Arrays.copyOfRange(doc, (int) (doc.length - maxTokens), doc.length) : doc.clone();
        int id = nextDoc++;
        docs.put(id, d);
        tokens += d.length;
        for (int p = 1; p < d.length; p++) {
            index(id, d, p);
        }
        evictOverBound();
    }

    /** Indexes the keys whose continuation starts at {@code pos} (the tokens just before it). */
    private void index(int doc, int[] d, int pos) {
        if (pos < 1) {
            return;
        }
        postings.computeIfAbsent(unigram(d[pos - 1]), k -> new LongList()).add(posting(doc, pos));
        livePostings++;
        if (pos >= 2) {
            postings.computeIfAbsent(bigram(d[pos - 2], d[pos - 1]), k -> new LongList()).add(posting(doc, pos));
            livePostings++;
        }
    }

    private void evictOverBound() {
        Iterator<Map.Entry<Integer, int[]>> eldest = docs.entrySet().iterator();
        while (tokens > maxTokens && docs.size() > 1 && eldest.hasNext()) {
            int[] d = eldest.next().getValue();
            eldest.remove();
            tokens -= d.length;
            long postingsOfDoc = Math.max(0, 2L * (d.length - 1) - 1);
            livePostings -= postingsOfDoc;
            deadPostings += postingsOfDoc;
            evicted++;
        }
        if (deadPostings > livePostings) {
            rebuildPostings();
        }
    }

    private void rebuildPostings() {
        postings.clear();
        livePostings = 0;
        deadPostings = 0;
        for (Map.Entry<Integer, int[]> e : docs.entrySet()) {
            int[] d = e.getValue();
            for (int p = 1; p < d.length; p++) {
                index(e.getKey(), d, p);
            }
        }
    }

    // ------------------------------------------------------------------ reading

    /**
     * Adds to {@code out} up to {@code candidates} of the most recent occurrences of the context's last
     * two tokens (or, when there is none, of its last token), each with its match length (at most
     * {@code maxMatch}). {@code context[0..length)} is the context; for a growing index it is usually the
     * indexed document itself, and the current end is never its own match.
     */
    public synchronized void collect(int[] context, int length, int maxMatch, int candidates, List<Match> out) {
        if (length < 1) {
            return;
        }
        int before = out.size();
        if (length >= 2) {
            collect(postings.get(bigram(context[length - 2], context[length - 1])), context, length, maxMatch,
                    candidates, out);
        }
        if (out.size() == before) {
            collect(postings.get(unigram(context[length - 1])), context, length, maxMatch, candidates, out);
        }
    }

    private void collect(LongList list, int[] context, int length, int maxMatch, int candidates, List<Match> out) {
        if (list == null) {
            return;
        }
        int found = 0;
        for (int i = list.size - 1; i >= 0 && found < candidates; i--) {
            long p = list.values[i];
            int doc = (int) (p >>> 32);
            int pos = (int) p;
            int[] d = docs.get(doc);
            if (d == null) {
                continue; // evicted
            }
            int end = doc == 0 && growing != null ? growingLength : d.length;
            if (pos >= end) {
                continue; // the context's own end: nothing follows yet
            }
            int m = 0;
            while (m < maxMatch && pos - 1 - m >= 0 && length - 1 - m >= 0 && d[pos - 1 - m] == context[length - 1 - m]) {
                m++;
            }
            if (m > 0) {
                out.add(new Match(d, pos, end, m));
                found++;
            }
        }
    }

    // ------------------------------------------------------------------ size

    /** Tokens held (the bound applies to this). */
    public synchronized long tokens() {
        return tokens;
    }

    /** Posting entries held, live and not yet purged; stays within a small multiple of {@link #tokens}. */
    public synchronized long postings() {
        return livePostings + deadPostings;
    }

    public synchronized int documents() {
        return docs.size();
    }

    public synchronized long evictedDocuments() {
        return evicted;
    }

    /** The growing document's backing array (valid up to {@link #length}); read by its single owner only. */
    int[] view() {
        return growing;
    }

    synchronized int length() {
        return growingLength;
    }

    List<Integer> documentIds() {
        return new ArrayList<>(docs.keySet());
    }

    private static final class LongList {
        long[] values = new long[4];
        int size;

        void add(long v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }
    }
}
