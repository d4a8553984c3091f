package dev.specserve.runtime.spec;

import java.util.Arrays;

/**
 * vLLM's {@code bad_words} over one sequence: a word's last token is masked in a row whenever the tokens before
 * that row (the output so far, then the row's draft path) end with the word's other tokens. A one-token word is
 * masked everywhere. Only generated tokens count, never the prompt, as in vLLM.
 */
final class BadWordsMask {
    private final int[][] words;
    private final int longestPrefix;
    /** The output so far, as far back as the longest word's prefix needs. */
    private int[] output = new int[16];
    private int length;

    BadWordsMask(int[][] words) {
        this.words = words;
        int longest = 0;
        for (int[] w : words) {
            longest = Math.max(longest, w.length - 1);
        }
        this.longestPrefix = longest;
    }

    void add(int token) {
        if (longestPrefix == 0) {
            return;
        }
        if (length == output.length) {
            output = Arrays.copyOf(output, length * 2);
        }
        output[length++] = token;
    }

    /** Masks, in {@code logits}, the last token of every word whose prefix ends the output plus {@code path}. */
    void apply(double[] logits, int[] path, int pathLength) {
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
