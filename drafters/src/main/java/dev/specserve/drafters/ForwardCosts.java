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
 * same context, median of many runs after warm-up.
 */
public final class ForwardCosts {
    private ForwardCosts() {}

    public record Costs(int pastTokens, double targetStepMs, double verify16Ms, double drafterBlockMs) {
        public double verifyRatio() {
            return verify16Ms / targetStepMs;
        }

        public double drafterRatio() {
            return drafterBlockMs / targetStepMs;
        }
    }

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

        double step = median(repeats, () -> target.forward(new int[] {5}, new int[] {past}, Masks.causal(1, past), cache));
        DraftTree tree = new DraftTree();
        int parent = DraftTree.ROOT;
        for (int i = 0; i < 15; i++) {
            parent = tree.add(i % 3 == 0 ? DraftTree.ROOT : parent, 10 + i, -i, -1);
        }
        double verify = median(repeats, () -> target.forward(tree.verifyTokens(5), tree.verifyPositions(past),
                tree.verifyMask(past), cache));

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
        double drafterBlock = median(repeats, () -> drafter.forward(block, draftCache,
                stack.versions().current().adapter()));
        return new Costs(past, step, verify, drafterBlock);
    }

    private static double median(int repeats, Runnable call) {
        for (int i = 0; i < 5; i++) {
            call.run();
        }
        double[] ms = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            long t0 = System.nanoTime();
            call.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        return ms[repeats / 2];
    }

    private static int[] range(int from, int to) {
        int[] r = new int[to - from];
        for (int i = 0; i < r.length; i++) {
            r[i] = from + i;
        }
        return r;
    }
}
