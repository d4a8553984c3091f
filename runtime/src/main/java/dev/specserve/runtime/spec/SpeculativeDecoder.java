package dev.specserve.runtime.spec;

import dev.specserve.runtime.kv.KvCache;
import dev.specserve.runtime.model.Masks;
import dev.specserve.runtime.model.TargetModel;
import dev.specserve.runtime.model.TargetOutput;
import dev.specserve.runtime.tokenizer.TextTokenizer;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;

/**
 * The speculative decoding loop for one sequence.
 *
 * <pre>
 * prefill the prompt -> first token
 * repeat:  draft a tree rooted at the last token
 *          verify root + tree in ONE target forward (tree attention mask, positions = root + depth)
 *          accept the longest path the target agrees with, plus the target's own next token
 *          keep only the root and accepted rows in the target's cache; tell the drafter what was committed
 * </pre>
 *
 * Greedy output equals plain autoregressive decoding whatever the drafter proposes; sampling stays
 * lossless through {@link TreeVerifier}.
 */
public final class SpeculativeDecoder {
    public static final int MAX_TREE_NODES = 256;

    private final TargetModel target;
    private final TextTokenizer tokenizer;
    private final int contextLength;

    public SpeculativeDecoder(TargetModel target, TextTokenizer tokenizer) {
        this.target = target;
        this.tokenizer = tokenizer;
        this.contextLength = target.info().contextLength();
    }

    public int contextLength() {
        return contextLength;
    }

    /** Rejects a request before any model call, naming the field at fault. */
    public void validate(GenerationRequest req) {
        int[] prompt = req.promptIds();
        if (prompt == null || prompt.length == 0) {
            throw new InvalidRequestException("prompt", "prompt is empty");
        }
        if (prompt.length >= contextLength) {
            throw new InvalidRequestException("prompt", "prompt has " + prompt.length + " tokens but the context holds "
                    + contextLength + " (at most " + (contextLength - 1) + " prompt tokens)");
        }
        for (int id : prompt) {
            if (id < 0 || id >= target.info().vocab()) {
                throw new InvalidRequestException("prompt", "token id " + id + " is outside the vocabulary [0, "
                        + target.info().vocab() + ")");
            }
        }
        if (req.maxTokens() <= 0) {
            throw new InvalidRequestException("max_tokens", "max_tokens must be > 0, got " + req.maxTokens());
        }
        if (req.budget().maxNodes() > MAX_TREE_NODES) {
            throw new InvalidRequestException("max_nodes", "draft budget of " + req.budget().maxNodes()
                    + " nodes exceeds the limit of " + MAX_TREE_NODES);
        }
    }

    public GenerationResult generate(GenerationRequest req, Drafter drafter, RoundListener listener,
                                     BooleanSupplier cancelled) {
        validate(req);
        long start = System.nanoTime();
        SplittableRandom rng = new SplittableRandom(req.sampling().seed());
        KvCache cache = target.newCache(contextLength + req.budget().maxNodes() + 1);
        OutputTracker out = new OutputTracker(tokenizer, req.maxTokens(), req.stop());
        Totals totals = new Totals();
        try (DraftSession drafts = drafter.newSession()) {
            int[] prompt = req.promptIds();
            TargetOutput prefill = target.forward(prompt, range(0, prompt.length), Masks.causal(prompt.length, 0), cache);
            cache.appendAll(prefill.present(), prompt.length);
            int first = TreeVerifier.selectToken(prefill, prompt.length - 1, req.sampling(), rng);
            out.addAll(new int[] {first});
            drafts.start(prompt, prefill.hidden(), first);
            totals.prefillNanos = System.nanoTime() - start;

            int round = 0;
            while (!out.finished()) {
                if (cancelled.getAsBoolean()) {
                    out.finish(FinishReason.CANCELLED);
                    break;
                }
                int rootPosition = cache.length();
                int room = contextLength - 1 - rootPosition;
                if (room < 0) {
                    out.finish(FinishReason.LENGTH);
                    break;
                }
                long roundStart = System.nanoTime();
                DraftTree tree = drafts.propose(req.budget().withMaxDepth(room));
                DraftStats draftStats = drafts.lastStats();
                long drafted = System.nanoTime();

                TargetOutput verified = target.forward(tree.verifyTokens(out.last()),
                        tree.verifyPositions(rootPosition), tree.verifyMask(rootPosition), cache);
                Acceptance acceptance = TreeVerifier.verify(tree, verified, req.sampling(), rng);
                cache.append(verified.present(), acceptance.keptRows());
                int[] committed = acceptance.newTokens(tree);
                drafts.commit(committed, verified.hiddenRows(acceptance.keptRows()));
                long done = System.nanoTime();

                int[] emitted = out.addAll(committed);
                RoundResult result = new RoundResult(round++, tree, acceptance, draftStats.forwards(),
                        drafted - roundStart, draftStats.ortNanos(), done - drafted, verified.runNanos(),
                        done - roundStart);
                totals.add(result);
                listener.onRound(result, emitted);
            }
        }
        int[] tokens = out.tokens();
        return new GenerationResult(tokens, out.text(), out.reason(), req.promptIds().length, totals.rounds,
                totals.accepted, totals.prefillNanos, System.nanoTime() - start, totals.draftNanos,
                totals.verifyNanos, totals.javaNanos, totals.draftForwards, totals.treeNodes);
    }

    private static int[] range(int from, int to) {
        int[] r = new int[to - from];
        for (int i = 0; i < r.length; i++) {
            r[i] = from + i;
        }
        return r;
    }

    private static final class Totals {
        int rounds;
        long accepted;
        long prefillNanos;
        long draftNanos;
        long verifyNanos;
        long javaNanos;
        long draftForwards;
        long treeNodes;

        void add(RoundResult r) {
            rounds++;
            accepted += r.acceptedLength();
            draftNanos += r.draftNanos();
            verifyNanos += r.verifyNanos();
            javaNanos += r.javaNanos();
            draftForwards += r.draftForwards();
            treeNodes += r.tree().size();
        }
    }
}
