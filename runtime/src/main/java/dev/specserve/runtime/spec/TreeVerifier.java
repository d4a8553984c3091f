package dev.specserve.runtime.spec;

import dev.specserve.runtime.model.TargetOutput;
import java.util.SplittableRandom;

/**
 * Walks a verified tree. Greedy: follow the child whose token is the target's argmax. Sampling: recursive
 * rejection over siblings (SpecInfer/EAGLE) with deterministic drafts (q = 1 for the proposed child), which
 * keeps the output distribution exactly the target's.
 */
public final class TreeVerifier {
    private TreeVerifier() {}

    public static Acceptance verify(DraftTree tree, TargetOutput out, SamplingParams params, SplittableRandom rng) {
        int[] targetTokens = new int[tree.size() + 1];
        for (int r = 0; r < targetTokens.length; r++) {
            targetTokens[r] = out.argmax(r);
        }
        return params.greedy() ? greedy(tree, targetTokens) : sample(tree, out, params, rng, targetTokens);
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

    static Acceptance sample(DraftTree tree, TargetOutput out, SamplingParams params, SplittableRandom rng,
                             int[] targetTokens) {
        int[] path = new int[tree.maxDepth()];
        int accepted = 0;
        int node = DraftTree.ROOT;
        outer:
        while (true) {
            TokenDistribution p = TokenDistribution.of(out.logits(), (node + 1) * out.vocab(), out.vocab(), params);
            for (int c : tree.children(node)) {
                int x = tree.token(c);
                if (rng.nextDouble() < p.probability(x)) {
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
        if (params.greedy()) {
            return out.argmax(row);
        }
        return TokenDistribution.of(out.logits(), row * out.vocab(), out.vocab(), params).sample(rng);
    }
}
