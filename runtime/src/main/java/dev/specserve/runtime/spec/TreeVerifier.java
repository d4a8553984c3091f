package dev.specserve.runtime.spec;

import dev.specserve.runtime.model.TargetOutput;
import java.util.SplittableRandom;

/**
 * Walks a verified tree. Greedy: follow the child whose token is the target's argmax. Sampling: recursive
 * rejection over siblings (SpecInfer/EAGLE) with deterministic drafts (q = 1 for the proposed child), which
 * keeps the output distribution exactly the target's.
 *
 * <p>Both use the target's PROCESSED distribution (logit_bias, presence and frequency penalties; see
 * {@link LogitsProcessor}): the row of a node is processed with the counts along that node's path, so the
 * walk sees at every depth exactly what plain decoding would. {@link Acceptance#targetTokens()} stays the raw
 * argmax of every row: it labels drafter training, which learns the unprocessed target.
 */
public final class TreeVerifier {
    private TreeVerifier() {}

    public static Acceptance verify(DraftTree tree, TargetOutput out, SamplingParams params, SplittableRandom rng) {
        return verify(tree, out, LogitsProcessor.fresh(params, out.vocab()), rng);
    }

    public static Acceptance verify(DraftTree tree, TargetOutput out, LogitsProcessor processor, SplittableRandom rng) {
        int[] targetTokens = new int[tree.size() + 1];
        for (int r = 0; r < targetTokens.length; r++) {
            targetTokens[r] = out.argmax(r);
        }
        SamplingParams params = processor.params();
        if (params.greedy()) {
            return params.processesLogits() ? greedyProcessed(tree, out, processor, targetTokens)
                    : greedy(tree, targetTokens);
        }
        return sample(tree, out, processor, rng, targetTokens);
    }

    static Acceptance greedy(DraftTree tree, int[] targetTokens) {
        int[] path = new int[tree.maxDepth()];
        int accepted = 0;
        int node = DraftTree.ROOT;
        while (true) {
            int want = targetTokens[node + 1];
            int next = -1;
            for (int c : tree.children(node)) {
                if (tree.token(c) == want) {
                    next = c;
                    break;
                }
            }
            if (next < 0) {
                return new Acceptance(java.util.Arrays.copyOf(path, accepted), want, targetTokens);
            }
            path[accepted++] = next;
            node = next;
        }
    }

    private static Acceptance greedyProcessed(DraftTree tree, TargetOutput out, LogitsProcessor processor,
                                              int[] targetTokens) {
        int[] path = new int[tree.maxDepth()];
        int[] pathTokens = new int[tree.maxDepth()];
        int accepted = 0;
        int node = DraftTree.ROOT;
        while (true) {
            int want = LogitsProcessor.argmax(processor.process(out, node + 1, pathTokens, accepted));
            int next = -1;
            for (int c : tree.children(node)) {
                if (tree.token(c) == want) {
                    next = c;
                    break;
                }
            }
            if (next < 0) {
                return new Acceptance(java.util.Arrays.copyOf(path, accepted), want, targetTokens);
            }
            pathTokens[accepted] = want;
            path[accepted++] = next;
            node = next;
        }
    }

    static Acceptance sample(DraftTree tree, TargetOutput out, LogitsProcessor processor, SplittableRandom rng,
                             int[] targetTokens) {
        SamplingParams params = processor.params();
        int[] path = new int[tree.maxDepth()];
        int[] pathTokens = new int[tree.maxDepth()];
        int accepted = 0;
        int node = DraftTree.ROOT;
        outer:
        while (true) {
            TokenDistribution p = TokenDistribution.of(processor.process(out, node + 1, pathTokens, accepted), params);
            for (int c : tree.children(node)) {
                int x = tree.token(c);
                if (rng.nextDouble() < p.probability(x)) {
                    pathTokens[accepted] = x;
                    path[accepted++] = c;
                    node = c;
                    continue outer;
                }
                p.reject(x);
            }
            return new Acceptance(java.util.Arrays.copyOf(path, accepted), p.sample(rng), targetTokens);
        }
    }

    /** First token after prefill: argmax, or a sample from the target's distribution. */
    public static int selectToken(TargetOutput out, int row, SamplingParams params, SplittableRandom rng) {
        return selectToken(out, row, LogitsProcessor.fresh(params, out.vocab()), rng);
    }

    /** A token from {@code row} processed with the processor's counts (no draft path). */
    public static int selectToken(TargetOutput out, int row, LogitsProcessor processor, SplittableRandom rng) {
        SamplingParams params = processor.params();
        if (!params.processesLogits()) {
            if (params.greedy()) {
                return out.argmax(row);
            }
            return TokenDistribution.of(out.logits(), out.logitsOffset(row), out.vocab(), params).sample(rng);
        }
        double[] l = processor.process(out, row, new int[0], 0);
        return params.greedy() ? LogitsProcessor.argmax(l) : TokenDistribution.of(l, params).sample(rng);
    }
}
