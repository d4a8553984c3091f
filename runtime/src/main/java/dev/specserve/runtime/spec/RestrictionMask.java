package dev.specserve.runtime.spec;

import java.util.Arrays;

/**
 * One sequence's {@link TokenRestrictions} as masks on its rows: every token outside {@code allowed_token_ids}; and
 * each of {@code bad_words}' last token wherever the tokens before the row (the output so far, then the row's draft
 * path) end with the word's other tokens, a one-token word everywhere. Only generated tokens count toward a bad
 * word, never the prompt, as in vLLM.
 */
final class RestrictionMask {
    /** Allowed tokens, or null when every token is. */
    private final boolean[] allowed;
    private final int[][] words;
    private final int longestPrefix;
    /** The output so far; kept only when some bad word is longer than one token. */
    private int[] output = new int[16];
    private int length;

    private RestrictionMask(boolean[] allowed, int[][] words) {
        this.allowed = allowed;
        this.words = words;
        int longest = 0;
        for (int[] w : words) {
            longest = Math.max(longest, w.length - 1);
        }
        this.longestPrefix = longest;
    }

    /** The mask for {@code r} over {@code vocab} tokens, with its bad words as token ids; null when it masks nothing. */
    static RestrictionMask of(TokenRestrictions r, int vocab, int[][] badWordIds) {
        if (r.allowedTokenIds().isEmpty() && badWordIds.length == 0) {
            return null;
        }
        boolean[] allowed = null;
        if (!r.allowedTokenIds().isEmpty()) {
            allowed = new boolean[vocab];
            for (int id : r.allowedTokenIds()) {
                if (id < vocab) {
                    allowed[id] = true;
                }
            }
        }
        return new RestrictionMask(allowed, badWordIds);
    }

    /** Counts a committed output token. */
    void add(int token) {
        if (longestPrefix == 0) {
            return;
        }
        if (length == output.length) {
            output = Arrays.copyOf(output, length * 2);
        }
        output[length++] = token;
    }

    /** Masks, in {@code logits}, what is not allowed and the last token of every word whose prefix ends the output plus {@code path}. */
    void apply(double[] logits, int[] path, int pathLength) {
        if (allowed != null) {
            for (int v = 0; v < logits.length; v++) {
                if (v >= allowed.length || !allowed[v]) {
                    logits[v] = Double.NEGATIVE_INFINITY;
                }
            }
        }
        for (int[] w : words) {
            int last = w[w.length - 1];
            if (last < logits.length && endsWithPrefix(w, path, pathLength)) {
                logits[last] = Double.NEGATIVE_INFINITY;
            }
        }
    }

    private boolean endsWithPrefix(int[] word, int[] path, int pathLength) {
        int prefix = word.length - 1;
        if (prefix > length + pathLength) {
            return false;
        }
        for (int i = 0; i < prefix; i++) {
            int back = prefix - i; // 1: the token right before the row
            int t = back <= pathLength ? path[pathLength - back] : output[length - (back - pathLength)];
            if (t != word[i]) {
                return false;
            }
        }
        return true;
    }
}
