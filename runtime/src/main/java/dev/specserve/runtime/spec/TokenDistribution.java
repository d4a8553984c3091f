package dev.specserve.runtime.spec;

import java.util.Arrays;

/** The target's sampling distribution for one row of logits, after logit processing, temperature and top-p. */
final class TokenDistribution {
    private final double[] p;

    private TokenDistribution(double[] p) {
        this.p = p;
    }

    static TokenDistribution of(float[] logits, int offset, int vocab, SamplingParams params) {
        double[] l = new double[vocab];
        for (int v = 0; v < vocab; v++) {
            l[v] = logits[offset + v];
        }
        return of(l, params);
    }

    /** From already processed logits (bias and penalties applied, see {@link LogitsProcessor}); reuses the array. */
    static TokenDistribution of(double[] processed, SamplingParams params) {
        double[] p = processed;
        int vocab = p.length;
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) {
            max = Math.max(max, p[v]);
        }
        double sum = 0;
        for (int v = 0; v < vocab; v++) {
            p[v] = Math.exp((p[v] - max) / params.temperature());
            sum += p[v];
        }
        for (int v = 0; v < vocab; v++) {
            p[v] /= sum;
        }
        if (params.topP() < 1) {
            applyTopP(p, params.topP());
        }
        return new TokenDistribution(p);
    }

    private static void applyTopP(double[] p, double topP) {
        Integer[] order = new Integer[p.length];
        for (int i = 0; i < p.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
        double cum = 0;
        int keep = 0;
        while (keep < p.length && cum < topP) {
            cum += p[order[keep++]];
        }
        for (int i = keep; i < p.length; i++) {
            p[order[i]] = 0;
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= cum;
        }
    }

    double probability(int token) {
        return p[token];
    }

    /** The token where the cumulative distribution, in vocabulary order, first exceeds {@code u} (uniform in [0, 1)). */
    int sample(double u) {
        double cum = 0;
        int last = 0;
        for (int i = 0; i < p.length; i++) {
            if (p[i] > 0) {
                cum += p[i];
                last = i;
                if (u < cum) {
                    return i;
                }
            }
        }
        return last;
    }
}
