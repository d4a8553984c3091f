package dev.specserve.runtime.spec;

import dev.specserve.runtime.model.TargetOutput;
import java.util.Arrays;
import java.util.Map;

/**
 * One sequence's logit processing: {@code logit_bias}, then presence and frequency penalties over the tokens
 * generated so far (vLLM semantics; the prompt is not counted). A verification row of a draft tree is processed
 * with the counts along ITS path: the output so far plus the node's ancestors and the node itself, i.e. exactly
 * the counts plain decoding would have at that position. So speculative sampling stays lossless against the
 * penalised distribution and greedy speculation equals greedy plain decoding with the same penalties.
 */
public final class LogitsProcessor {
    private final SamplingParams params;
    private final int vocab;
    /** Counts of generated tokens; only allocated when penalties are set. */
    private final int[] counts;
    /** Distinct generated tokens, in first-seen order (so a row is penalised in O(distinct), not O(vocab)). */
    private int[] seen = new int[16];
    private int distinct;

    public LogitsProcessor(SamplingParams params, int vocab) {
        this.params = params;
        this.vocab = vocab;
        boolean penalties = params.presencePenalty() != 0 || params.frequencyPenalty() != 0;
        this.counts = penalties ? new int[vocab] : null;
    }

    /** A processor for sequences that never generated anything (the first token after prefill, or tests). */
    public static LogitsProcessor fresh(SamplingParams params, int vocab) {
        return new LogitsProcessor(params, vocab);
    }

    public SamplingParams params() {
        return params;
    }

    /** Counts a committed output token. */
    public void add(int token) {
        if (counts == null || token < 0 || token >= vocab) {
            return;
        }
        if (counts[token]++ == 0) {
            if (distinct == seen.length) {
                seen = Arrays.copyOf(seen, distinct * 2);
            }
            seen[distinct++] = token;
        }
    }

    /**
     * The processed logits of {@code row}, as if {@code path[0..pathLength)} had been generated after the
     * output so far. Returns the raw row (a copy) when nothing is to be processed.
     */
    public double[] process(TargetOutput out, int row, int[] path, int pathLength) {
        return process(out.logits(), out.logitsOffset(row), path, pathLength);
    }

    double[] process(float[] logits, int offset, int[] path, int pathLength) {
        double[] l = new double[vocab];
        for (int v = 0; v < vocab; v++) {
            l[v] = logits[offset + v];
        }
        for (Map.Entry<Integer, Double> e : params.logitBias().entrySet()) {
            if (e.getKey() < vocab) {
                l[e.getKey()] += e.getValue();
            }
        }
        if (counts != null) {
            double presence = params.presencePenalty();
            double frequency = params.frequencyPenalty();
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
        return l;
    }

    private static boolean firstInPath(int[] path, int i, int t) {
        for (int j = 0; j < i; j++) {
            if (path[j] == t) {
                return false;
            }
        }
        return true;
    }

    /** Index of the largest processed logit (the lowest index on ties, as {@link TargetOutput#argmax}). */
    public static int argmax(double[] l) {
        int best = 0;
        for (int v = 1; v < l.length; v++) {
            if (l[v] > l[best]) {
                best = v;
            }
        }
        return best;
    }

    /**
     * The distribution logprobs are reported from: log-softmax of the processed logits divided by the
     * temperature (1 when greedy), before top-p truncation (so every token has a finite logprob).
     */
    public double[] logSoftmax(double[] processed) {
        double t = params.greedy() ? 1.0 : params.temperature();
        double max = Double.NEGATIVE_INFINITY;
        for (double v : processed) {
            max = Math.max(max, v / t);
        }
        double sum = 0;
        for (double v : processed) {
            sum += Math.exp(v / t - max);
        }
        double log = max + Math.log(sum);
        double[] out = new double[processed.length];
        for (int v = 0; v < processed.length; v++) {
            out[v] = processed[v] / t - log;
        }
        return out;
    }
}
