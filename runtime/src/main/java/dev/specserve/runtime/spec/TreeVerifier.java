package dev.specserve.runtime.spec;

import dev.specserve.runtime.model.TargetOutput;

/**
 * Walks a verified tree: from the root, follow the child holding the target's own token at each node, until no
 * child does; that token is the round's bonus. One walk, three ways to name the target's token: the argmax,
 * the argmax of the processed logits, or (sampling) a draw from its distribution with the position's uniform
 * ({@link SamplingNoise}), so the output distribution is exactly the target's and, for a seed, exactly what plain
 * decoding samples; with deterministic drafts this accepts each child with its probability, as recursive
 * rejection over the siblings (SpecInfer/EAGLE) does.
 *
 * <p>Both use the target's PROCESSED distribution (logit_bias, presence and frequency penalties; see
 * {@link LogitsProcessor}): the row of a node is processed with the counts along that node's path, so the
 * walk sees at every depth exactly what plain decoding would. {@link Acceptance#targetTokens()} stays the raw
 * argmax of every row: it labels drafter training, which learns the unprocessed target.
 */
public final class TreeVerifier {
    private TreeVerifier() {}

    /**
     * {@code position}: where the token the root's row chooses goes (the root's position + 1). With no prompt and
     * no output behind it (a fresh {@link LogitsProcessor}), so a repetition penalty sees nothing; a sequence uses the
     * overload taking its own processor.
     */
    public static Acceptance verify(DraftTree tree, TargetOutput out, SamplingParams params, SamplingNoise noise,
                                    int position) {
        return verify(tree, out, new LogitsProcessor(params, out.vocab()), noise, position);
    }

    public static Acceptance verify(DraftTree tree, TargetOutput out, LogitsProcessor processor, SamplingNoise noise,
                                    int position) {
        int[] targetTokens = new int[tree.size() + 1];
        for (int r = 0; r < targetTokens.length; r++) {
            targetTokens[r] = out.argmax(r);
        }
        SamplingParams params = processor.params();
        if (params.greedy() && !processor.processes()) {
            return walk(tree, targetTokens, (row, path, depth) -> targetTokens[row]);
        }
        if (params.greedy()) {
            return walk(tree, targetTokens,
                    (row, path, depth) -> LogitsProcessor.argmax(processor.process(out, row, path, depth)));
        }
        return walk(tree, targetTokens, (row, path, depth) -> TokenDistribution.of(
                processor.process(out, row, path, depth), params).sample(noise.at(position + depth)));
    }

    /** The target's token at a node of the walked path: from the node's row, given the path's tokens to it. */
    @FunctionalInterface
    private interface TargetChoice {
        int token(int row, int[] pathTokens, int depth);
    }

    /** From the root, follow the child holding the target's token until none does; that token is the bonus. */
    private static Acceptance walk(DraftTree tree, int[] targetTokens, TargetChoice target) {
        int[] path = new int[tree.maxDepth()];
        int[] pathTokens = new int[tree.maxDepth()];
        int accepted = 0;
        int node = DraftTree.ROOT;
        while (true) {
            int want = target.token(node + 1, pathTokens, accepted);
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

    /**
     * First token after prefill, for {@code position}: argmax, or a sample from the target's distribution; with no
     * prompt behind it, as {@link #verify(DraftTree, TargetOutput, SamplingParams, SamplingNoise, int)}.
     */
    public static int selectToken(TargetOutput out, int row, SamplingParams params, SamplingNoise noise, int position) {
        return selectToken(out, row, new LogitsProcessor(params, out.vocab()), noise, position);
    }

    /** A token from {@code row} processed with the processor's counts (no draft path), for {@code position}. */
    public static int selectToken(TargetOutput out, int row, LogitsProcessor processor, SamplingNoise noise,
                                  int position) {
        SamplingParams params = processor.params();
        if (!processor.processes()) {
            if (params.greedy()) {
                return out.argmax(row);
            }
            return TokenDistribution.of(out.logits(), out.logitsOffset(row), out.vocab(), params)
                    .sample(noise.at(position));
        }
        double[] l = processor.process(out, row, new int[0], 0);
        return params.greedy() ? LogitsProcessor.argmax(l) : TokenDistribution.of(l, params).sample(noise.at(position));
    }
}
