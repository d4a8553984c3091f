package dev.specserve.drafters;

import dev.specserve.runtime.kv.KvCache;
import dev.specserve.runtime.model.Masks;
import dev.specserve.runtime.spec.DraftTree;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Micro-measurement of the three costs that decide whether speculation pays on a machine: a target decode
 * step (1 token), a 16-token tree verification, and one drafter block forward (K slots), each after the
 * same context. The three calls are timed in turn within each repeat, as they alternate when serving, and the
 * ratios are the medians of the per-repeat ratios, so a shared VM's drift (frequency, neighbours) cancels
 * instead of landing on one phase. The drafter block is also timed a second time right after itself: the gap
 * between the two is what the target's forward costs the drafter in evicted caches.
 */
public final class ForwardCosts {
    private ForwardCosts() {}

    /** Medians over the repeats; the ratios are medians of each repeat's own ratio to its decode step. */
    public record Costs(int pastTokens, int repeats, double targetStepMs, double verify16Ms, double drafterBlockMs,
            double drafterBlockWarmMs, double verifyRatio, double drafterRatio, double drafterWarmRatio) {}

    public static Costs measure(ModelStack stack, int past, int repeats) {
        var target = stack.target();
        int vocab = stack.manifest().target().vocab();
        int[] context = new int[past];
        for (int i = 0; i < past; i++) {
            context[i] = 1 + (i * 7919) % (vocab - 1);
        }
        KvCache cache = target.newCache(past + 32);
        var prefill = target.forward(context, range(0, past), Masks.causal(past, 0), cache);
        cache.appendAll(prefill.present(), past);

        Runnable step = () -> target.forward(new int[] {5}, new int[] {past}, Masks.causal(1, past), cache);
        DraftTree tree = new DraftTree();
        int parent = DraftTree.ROOT;
        for (int i = 0; i < 15; i++) {
            parent = tree.add(i % 3 == 0 ? DraftTree.ROOT : parent, 10 + i, -i, -1);
        }
        Runnable verify = () -> target.forward(tree.verifyTokens(5), tree.verifyPositions(past),
                tree.verifyMask(past), cache);

        SpecBlockModel drafter = stack.drafterModel();
        int k = drafter.blockSize();
        int h = stack.manifest().drafter().dim();
        KvCache draftCache = drafter.newCache(past + 32);
        List<DraftRow> ctx = new ArrayList<>();
        for (int i = 0; i < past; i++) {
            ctx.add(new DraftRow(context[i], Arrays.copyOfRange(prefill.hidden(), i * h, (i + 1) * h), 0, i, i + 1,
                    i + 1, new int[0]));
        }
        var ctxOut = drafter.forward(ctx, draftCache, stack.versions().current().adapter());
        ctxOut.appendTo(draftCache);
        List<DraftRow> block = new ArrayList<>();
        float[] anchor = Arrays.copyOfRange(prefill.hidden(), (past - 1) * h, past * h);
        for (int s = 0; s < k; s++) {
            int[] extra = new int[s + 1];
            for (int j = 0; j <= s; j++) {
                extra[j] = past + j;
            }
            block.add(new DraftRow(s == 0 ? 7 : 0, anchor, s, s == 0 ? 0 : s - 1, past + 1 + s, past, extra));
        }
        Runnable drafterBlock = () -> drafter.forward(block, draftCache, stack.versions().current().adapter());
        return paired(past, repeats, step, verify, drafterBlock);
    }

    private static Costs paired(int past, int repeats, Runnable step, Runnable verify, Runnable block) {
        for (int i = 0; i < 5; i++) {
            step.run();
            verify.run();
            block.run();
        }
        double[] s = new double[repeats];
        double[] v = new double[repeats];
        double[] b = new double[repeats];
        double[] w = new double[repeats];
        double[] vr = new double[repeats];
        double[] br = new double[repeats];
        double[] wr = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            s[i] = millis(step);
            v[i] = millis(verify);
            b[i] = millis(block);
            w[i] = millis(block);
            vr[i] = v[i] / s[i];
            br[i] = b[i] / s[i];
            wr[i] = w[i] / s[i];
        }
        return new Costs(past, repeats, median(s), median(v), median(b), median(w), median(vr), median(br), median(wr));
    }

    private static double millis(Runnable call) {
        long t0 = System.nanoTime();
        call.run();
        return (System.nanoTime() - t0) / 1e6;
    }

    private static double median(double[] xs) {
        double[] sorted = xs.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static int[] range(int from, int to) {
        int[] r = new int[to - from];
        for (int i = 0; i < r.length; i++) {
            r[i] = from + i;
        }
        return r;
    }
}
