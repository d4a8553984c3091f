package dev.specserve.runtime.spec;

import java.util.Arrays;

/**
 * One sequence's repetition, frequency and presence penalties (vLLM semantics) over the counts of what it has
 * generated: the repetition penalty divides the positive logits (and multiplies the negative ones) of every token
 * in the prompt or the output so far; the frequency penalty (times the token's count in the output) and the
 * presence penalty (once, if the token occurs in the output) are subtracted. A draft-tree row counts its own path
 * as generated too, so it sees exactly the counts plain decoding would have there.
 */
final class Penalties {
    private final double presence;
    private final double frequency;
    private final double repetition;
    private final int vocab;
    private final int[] counts;
    /** Distinct generated tokens, in first-seen order (so a row is penalised in O(distinct), not O(vocab)). */
    private int[] seen = new int[16];
    private int distinct;
    /** Prompt tokens for the repetition penalty (null without one), and the distinct ones. */
    private final boolean[] inPrompt;
    private final int[] promptTokens;

    private Penalties(SamplingParams params, int vocab, int[] prompt) {
        this.presence = params.presencePenalty();
        this.frequency = params.frequencyPenalty();
        this.repetition = params.repetitionPenalty();
        this.vocab = vocab;
        this.counts = new int[vocab];
        this.inPrompt = repetition != 1 ? new boolean[vocab] : null;
        int[] distinctPrompt = new int[inPrompt != null ? prompt.length : 0];
        int n = 0;
        for (int i = 0; i < distinctPrompt.length; i++) {
            int t = prompt[i];
            if (t >= 0 && t < vocab && !inPrompt[t]) {
                inPrompt[t] = true;
                distinctPrompt[n++] = t;
            }
        }
        this.promptTokens = Arrays.copyOf(distinctPrompt, n);
    }

    /** The penalties {@code params} set, or null when it sets none. */
    static Penalties of(SamplingParams params, int vocab, int[] prompt) {
        boolean any = params.presencePenalty() != 0 || params.frequencyPenalty() != 0 || params.repetitionPenalty() != 1;
        return any ? new Penalties(params, vocab, prompt) : null;
    }

    /** Counts a committed output token. */
    void add(int token) {
        if (token < 0 || token >= vocab) {
            return;
        }
        if (counts[token]++ == 0) {
            if (distinct == seen.length) {
                seen = Arrays.copyOf(seen, distinct * 2);
            }
            seen[distinct++] = token;
        }
    }

    /** Penalises {@code l}, a row whose path {@code path[0..pathLength)} follows the output so far. */
    void apply(double[] l, int[] path, int pathLength) {
        if (inPrompt != null) {
            repetition(l, path, pathLength);
        }
        if (presence == 0 && frequency == 0) {
            return;
        }
        for (int i = 0; i < distinct; i++) {
            int t = seen[i];
            l[t] -= frequency * counts[t] + presence;
        }
        for (int i = 0; i < pathLength; i++) {
            int t = path[i];
            if (t < 0 || t >= vocab) {
                continue;
            }
            l[t] -= frequency;
            if (counts[t] == 0 && firstInPath(path, i, t)) {
                l[t] -= presence;
            }
        }
    }

    /** Divides positive logits and multiplies negative ones by the penalty, once per token seen anywhere so far. */
    private void repetition(double[] l, int[] path, int pathLength) {
        double r = repetition;
        for (int t : promptTokens) {
            l[t] = l[t] > 0 ? l[t] / r : l[t] * r;
        }
        for (int i = 0; i < distinct; i++) {
            int t = seen[i];
            if (!inPrompt[t]) {
                l[t] = l[t] > 0 ? l[t] / r : l[t] * r;
            }
        }
        for (int i = 0; i < pathLength; i++) {
            int t = path[i];
            if (t >= 0 && t < vocab && !inPrompt[t] && counts[t] == 0 && firstInPath(path, i, t)) {
                l[t] = l[t] > 0 ? l[t] / r : l[t] * r;
            }
        }
    }

    private static boolean firstInPath(int[] path, int i, int t) {
        for (int j = 0; j < i; j++) {
            if (path[j] == t) {
                return false;
            }
        }
        return true;
    }
}
