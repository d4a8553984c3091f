package dev.specserve.runtime.spec;

import dev.specserve.runtime.kv.KvCache;
import dev.specserve.runtime.model.Masks;
import dev.specserve.runtime.model.TargetModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A short profile of the target's verify forwards (tree sizes 0..31 after a short, a middle and a long past, about
 * a hundred forwards) that seeds the goodput planner's verify-cost model before the first request.
 */
final class VerifyProfile {
    private VerifyProfile() {}

    /** (tree nodes, past, ms) triples: a low median of five timed forwards per point, after one untimed pass. */
    static List<double[]> measure(TargetModel target) {
        int context = target.info().contextLength();
        int[] pasts = {Math.min(32, context / 8), Math.min(128, context / 4), Math.min(320, context * 5 / 8)};
        int[] sizes = {1, 2, 4, 8, 16, 32};
        KvCache[] caches = new KvCache[pasts.length];
        for (int k = 0; k < pasts.length; k++) {
            caches[k] = target.newCache(pasts[k] + 64);
            int[] fill = new int[pasts[k]];
            for (int i = 0; i < fill.length; i++) {
                fill[i] = i % target.info().vocab();
            }
            caches[k].appendAll(target.forward(fill, range(0, fill.length), Masks.causal(fill.length, 0),
                    caches[k], 1).present(), fill.length);
        }
        // one untimed pass, then five timed ones, each over every (past, size): the first forwards of a fresh
        // process run colder code and caches, and timing the points in turn spreads what is left of that
        double[][][] ms = new double[pasts.length][sizes.length][5];
        for (int rep = -1; rep < 5; rep++) {
            for (int k = 0; k < pasts.length; k++) {
                for (int j = 0; j < sizes.length; j++) {
                    long t0 = System.nanoTime();
                    target.forward(new int[sizes[j]], range(pasts[k], sizes[j]), Masks.causal(sizes[j], pasts[k]),
                            caches[k]);
                    if (rep >= 0) {
                        ms[k][j][rep] = (System.nanoTime() - t0) / 1e6;
                    }
                }
            }
        }
        List<double[]> profile = new ArrayList<>();
        for (int k = 0; k < pasts.length; k++) {
            for (int j = 0; j < sizes.length; j++) {
                Arrays.sort(ms[k][j]);
                profile.add(new double[] {sizes[j] - 1, pasts[k], ms[k][j][1]}); // a low median: noise only adds
            }
        }
        return profile;
    }

    private static int[] range(int from, int count) {
        int[] r = new int[count];
        for (int i = 0; i < count; i++) {
            r[i] = from + i;
        }
        return r;
    }
}
