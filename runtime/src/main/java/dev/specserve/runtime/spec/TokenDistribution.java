package dev.specserve.runtime.spec;

import java.util.Arrays;

/**
 * The target's sampling distribution for one row of logits, after logit processing, temperature, min-p, top-k
 * and top-p (vLLM's order). Top-k keeps every token tied with the k-th most likely, so ties never depend on order.
 */
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
        if (params.minP() > 0 || (params.topK() > 0 && params.topK() < vocab)) {
            truncate(p, params.minP(), params.topK());
        }
        if (params.topP() < 1) {
            applyTopP(p, params.topP());
        }
        return new TokenDistribution(p);
    }

    /** Drops tokens below min-p times the most likely one's probability, then all but the top k; renormalises. */
    private static void truncate(double[] p, double minP, int topK) {
        double max = 0;
        for (double v : p) {
            max = Math.max(max, v);
        }
        double floor = minP * max;
        if (topK > 0 && topK < p.length) {
            double[] top = largest(p, topK, 0);
            floor = Math.max(floor, top[top.length - topK]);
        }
        double kept = 0;
        for (int v = 0; v < p.length; v++) {
            if (p[v] < floor) {
                p[v] = 0;
            }
            kept += p[v];
        }
        for (int v = 0; v < p.length; v++) {
            p[v] /= kept;
        }
    }

    /**
     * Keeps the most likely tokens until their mass, summed from the most likely down, reaches {@code topP} (the
     * token that crosses it included; among tokens of equal probability the lower id first), zeroes the rest and
     * renormalises.
     */
    private static void applyTopP(double[] p, double topP) {
        double[] top = largest(p, 0, topP);
        int crossing = crossing(top, topP);
        if (crossing < 0 && top.length < p.length) { // the candidates' mass fell short once summed in this order
            top = p.clone();
            Arrays.sort(top);
            crossing = crossing(top, topP);
        }
        crossing = Math.max(0, crossing);
        double cut = top[crossing];
        int ties = 0; // tokens equal to the cut that the descending walk took, the crossing one included
        for (int i = top.length - 1; i >= crossing; i--) {
            ties += top[i] == cut ? 1 : 0;
        }
        double kept = 0;
        for (int v = 0; v < p.length; v++) {
            if (p[v] < cut || (p[v] == cut && ties-- <= 0)) {
                p[v] = 0;
            }
            kept += p[v];
        }
        for (int v = 0; v < p.length; v++) {
            p[v] /= kept;
        }
    }

    /** Index in ascending {@code top} where the sum from the largest down first reaches {@code mass}, or -1. */
    private static int crossing(double[] top, double mass) {
        double cum = 0;
        for (int i = top.length - 1; i >= 0; i--) {
            cum += top[i];
            if (cum >= mass) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The largest probabilities in ascending order: at least {@code count} of them, or enough to hold {@code mass};
     * all of them when that takes them all. Most of a distribution's tokens hold almost nothing, so sorting only
     * those above a thousandth of the largest is usually enough, and a full sort is the fallback.
     */
    private static double[] largest(double[] p, int count, double mass) {
        double max = 0;
        for (double v : p) {
            max = Math.max(max, v);
        }
        double floor = max * 1e-3;
        double[] above = new double[p.length];
        int n = 0;
        double sum = 0;
        for (double v : p) {
            if (v >= floor) {
                above[n++] = v;
                sum += v;
            }
        }
        double[] top = n < count || sum < mass ? p.clone() : Arrays.copyOf(above, n);
        Arrays.sort(top);
        return top;
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
