package dev.specserve.runtime.spec;

import dev.specserve.runtime.grammar.TokenMask;
import dev.specserve.runtime.kv.KvCache;
import dev.specserve.runtime.model.Masks;
import dev.specserve.runtime.model.TargetModel;
import dev.specserve.runtime.model.TargetOutput;
import dev.specserve.runtime.plan.PlannedSequence;
import dev.specserve.runtime.tokenizer.TextTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One sequence being decoded: its target cache, drafter session, output and statistics.
 *
 * <p>Its life: {@link #prefill} in one or more chunks until the prompt is in the cache and the first token is
 * chosen, then one {@link RoundRunner} round after another ({@link #propose} while drafting, {@link #accept}
 * after the verify forward) until it {@link #finished()}.
 */
public final class Sequence implements PlannedSequence, AutoCloseable {
    private final TargetModel target;
    private final TextTokenizer tokenizer;
    private final int contextLength;
    private final GenerationRequest req;
    private final Drafter drafter;
    private final KvCache cache;
    private final OutputTracker out;
    private final SamplingNoise noise;
    private final LogitsProcessor processor;
    private final LogprobRecorder logprobs;
    private final long startNanos = System.nanoTime();
    private final float[] promptHidden;
    private int prefilled;
    private long prefillNanos;
    private DraftSession drafts;
    private int rounds;
    private long accepted;
    private long draftNanos;
    private long verifyNanos;
    private long javaNanos;
    private long draftForwards;
    private long treeNodes;
    private long roundDraftNanos;
    private int roundForwards;
    private long roundDraftOrtNanos;
    private long roundDrafterVersion;
    private int[] lastEmitted = new int[0];

    Sequence(TargetModel target, TextTokenizer tokenizer, GenerationRequest req, Drafter drafter, KvCache cache,
             PrefixState prefix, TokenMask masks) {
        this.target = target;
        this.tokenizer = tokenizer;
        this.contextLength = target.info().contextLength();
        this.req = req;
        this.drafter = drafter;
        this.cache = cache;
        this.noise = new SamplingNoise(req.sampling().seed());
        this.processor = new LogitsProcessor(req.sampling(), target.info().vocab(), req.promptIds(),
                tokenizer.eosIds(), masks, req.sampling().restrictions().badWordIds(tokenizer));
        this.logprobs = new LogprobRecorder(tokenizer, req.sampling());
        this.out = new OutputTracker(tokenizer, req.maxTokens(), req.stop(), req.sampling());
        int dim = target.info().dim();
        this.promptHidden = new float[req.promptIds().length * dim];
        if (prefix != null) {
            if (cache.length() != prefix.length()) {
                throw new IllegalStateException("prefix of " + prefix.length() + " rows was not loaded (cache has "
                        + cache.length() + ")");
            }
            System.arraycopy(prefix.hidden(), 0, promptHidden, 0, prefix.length() * dim);
            prefilled = prefix.length();
        }
    }

    /**
     * Prefills up to {@code maxTokens} more prompt tokens. When the last prompt token is in the cache it
     * chooses the first output token, opens the drafter session and returns true; until then it returns false.
     */
    public boolean prefill(int maxTokens) {
        if (!prefilling()) {
            return true;
        }
        int[] prompt = req.promptIds();
        int n = Math.min(Math.max(1, maxTokens), prompt.length - prefilled);
        long t0 = System.nanoTime();
        int[] chunk = Arrays.copyOfRange(prompt, prefilled, prefilled + n);
        int[] positions = new int[n];
        for (int i = 0; i < n; i++) {
            positions[i] = prefilled + i;
        }
        TargetOutput forward = target.prefill(chunk, positions, cache, logprobs.wantsPrompt() ? n : 1);
        cache.appendAll(forward.present(), n);
        logprobs.prompt(forward, prompt, prefilled);
        int dim = target.info().dim();
        System.arraycopy(forward.hidden(), 0, promptHidden, prefilled * dim, n * dim);
        prefilled += n;
        if (prefilled == prompt.length) {
            int first = TreeVerifier.selectToken(forward, n - 1, processor, noise, prefilled);
            lastEmitted = out.addAll(new int[] {first});
            recordEmitted(forward, new int[] {n - 1}, lastEmitted);
            drafts = drafter.newSession();
            drafts.start(prompt, promptHidden, first);
        }
        prefillNanos += System.nanoTime() - t0;
        return !prefilling();
    }

    /** True until the whole prompt is in the cache and the first token is chosen. */
    public boolean prefilling() {
        return drafts == null;
    }

    /** Prompt tokens not in the cache yet. */
    public int prefillRemaining() {
        return req.promptIds().length - prefilled;
    }

    /** The last committed token: the root of the next tree, not yet in the target's cache. */
    public int root() {
        return out.last();
    }

    public int rootPosition() {
        return cache.length();
    }

    public KvCache cache() {
        return cache;
    }

    /** The target's final hidden state at every prompt position (complete once prefilled). */
    public float[] promptHidden() {
        return promptHidden;
    }

    public GenerationRequest request() {
        return req;
    }

    /** False, and the sequence finishes (LENGTH), when the context has no room for another round. */
    public boolean hasRoom() {
        if (contextLength - 1 - rootPosition() < 0) {
            out.finish(FinishReason.LENGTH);
            return false;
        }
        return true;
    }

    @Override
    public boolean adaptive() {
        return drafter.adaptive();
    }

    @Override
    public boolean hasModel() {
        return drafter.hasModel();
    }

    @Override
    public boolean sampled() {
        return !req.sampling().greedy();
    }

    /**
     * The request's budget, no deeper than the output has room for: a round emits its accepted path and one token
     * more, so nodes deeper than the tokens left less one could never be emitted, only verified.
     */
    @Override
    public DraftBudget budget() {
        return req.budget().withMaxDepth(Math.max(0, out.left() - 1));
    }

    @Override
    public int pastLength() {
        return cache.length();
    }

    /** Drafts a tree within {@code budget} and the context's room; time and forwards count toward this round. */
    @Override
    public DraftTree propose(DraftBudget budget) {
        return proposeAll(List.of(this), List.of(budget))[0];
    }

    /**
     * {@link #propose} for several sequences, those on one drafter in one {@link Drafter#proposeAll} (so their
     * model calls are batched); the wall time of a shared proposal is split evenly among its sequences.
     */
    @Override
    public DraftTree[] proposeAll(List<? extends PlannedSequence> batch, List<DraftBudget> budgets) {
        DraftTree[] trees = new DraftTree[batch.size()];
        Map<Drafter, List<Integer>> byDrafter = new LinkedHashMap<>();
        for (int i = 0; i < trees.length; i++) {
            if (batch.get(i) instanceof Sequence s) {
                byDrafter.computeIfAbsent(s.drafter, d -> new ArrayList<>()).add(i);
            } else {
                trees[i] = batch.get(i).propose(budgets.get(i));
            }
        }
        byDrafter.forEach((drafter, members) -> {
            List<DraftSession> sessions = new ArrayList<>(members.size());
            List<DraftBudget> within = new ArrayList<>(members.size());
            for (int i : members) {
                Sequence s = (Sequence) batch.get(i);
                sessions.add(s.drafts);
                within.add(budgets.get(i).withMaxDepth(Math.max(0, s.contextLength - 1 - s.rootPosition())));
            }
            long t0 = System.nanoTime();
            DraftTree[] drafted = drafter.proposeAll(sessions, within);
            long share = (System.nanoTime() - t0) / members.size();
            for (int j = 0; j < members.size(); j++) {
                Sequence s = (Sequence) batch.get(members.get(j));
                s.recordDrafting(share, s.drafts.lastStats());
                trees[members.get(j)] = drafter.adaptive() ? s.withForced(drafted[j], within.get(j)) : drafted[j];
            }
        });
        return trees;
    }

    /**
     * An adaptive strategy's tree with the tokens the output grammar forces next as one more free source (the
     * planner prices them like any node): trees whose budget leaves room, drafted only as deep as it allows.
     */
    private DraftTree withForced(DraftTree drafted, DraftBudget budget) {
        if (budget.empty()) {
            return drafted;
        }
        int[] forced = processor.forcedTokens(budget.maxDepth());
        return forced.length == 0 ? drafted
                : DraftTree.forced(forced, budget.maxDepth()).merge(drafted).prune(budget.maxNodes());
    }

    private void recordDrafting(long nanos, DraftStats stats) {
        roundDraftNanos += nanos;
        roundForwards += stats.forwards();
        roundDraftOrtNanos += stats.ortNanos();
        roundDrafterVersion = Math.max(roundDrafterVersion, stats.drafterVersion());
    }

    /** Accepts against the target's verification of {@code tree}, compacts the caches and emits tokens. */
    public RoundResult accept(DraftTree tree, TargetOutput verified, long verifyStart) {
        Acceptance acceptance = TreeVerifier.verify(tree, verified, processor, noise, rootPosition() + 1);
        cache.append(verified.present(), acceptance.keptRows());
        int[] committed = acceptance.newTokens(tree);
        drafts.commit(committed, verified.hiddenRows(acceptance.keptRows()));
        lastEmitted = out.addAll(committed);
        recordEmitted(verified, acceptance.keptRows(), lastEmitted);
        long done = System.nanoTime();
        long draft = roundDraftNanos;
        long verify = done - verifyStart;
        RoundResult round = new RoundResult(rounds++, tree, acceptance, roundForwards, draft,
                roundDraftOrtNanos, verify, verified.runNanos(), draft + verify, roundDrafterVersion);
        roundDraftNanos = 0;
        roundForwards = 0;
        roundDraftOrtNanos = 0;
        roundDrafterVersion = 0;
        accepted += round.acceptedLength();
        draftNanos += draft;
        verifyNanos += verify;
        javaNanos += round.javaNanos();
        draftForwards += round.draftForwards();
        treeNodes += tree.size();
        return round;
    }

    /**
     * Counts the emitted tokens for the penalties and, when asked for, records their logprobs: token j of
     * the round was chosen from verification row {@code rows[j]}, processed with the counts before it.
     */
    private void recordEmitted(TargetOutput verified, int[] rows, int[] emitted) {
        logprobs.output(processor, verified, rows, emitted);
        for (int t : emitted) {
            processor.add(t);
        }
    }

    /** Logprobs of the tokens the last prefill or round emitted (empty unless the request asked for them). */
    public List<TokenLogprob> lastLogprobs() {
        return logprobs.last();
    }

    /** Tokens the last prefill or round added to the output. */
    public int[] lastEmitted() {
        return lastEmitted;
    }

    public boolean finished() {
        return out.finished();
    }

    public void finish(FinishReason reason) {
        out.finish(reason);
    }

    /** Output text not yet handed out (stop strings applied), up to an incomplete UTF-8 sequence until finished. */
    public String newText() {
        return out.delta();
    }

    public GenerationResult result() {
        return new GenerationResult(out.tokens(), out.text(), out.reason(), req.promptIds().length, rounds,
                accepted, prefillNanos, System.nanoTime() - startNanos, draftNanos, verifyNanos, javaNanos,
                draftForwards, treeNodes, logprobs.output(), logprobs.prompt());
    }

    @Override
    public void close() {
        if (drafts != null) {
            drafts.close();
        }
    }
}
