package dev.specserve.runtime.spec;

import dev.specserve.runtime.kv.KvCache;
import dev.specserve.runtime.model.Masks;
import dev.specserve.runtime.model.TargetModel;
import dev.specserve.runtime.model.TargetOutput;
import dev.specserve.runtime.plan.GoodputPlanner;
import dev.specserve.runtime.plan.PlannedSequence;
import dev.specserve.runtime.tokenizer.TextTokenizer;
import java.util.List;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;

/**
 * The speculative decoding loop.
 *
 * <pre>
 * prefill the prompt -> first token                                       (start)
 * repeat:  {@link RoundRunner#run}: draft and plan every sequence's tree, verify all trees in ONE
 *          target forward, accept the longest agreeing path plus the target's own next token
 * </pre>
 *
 * Greedy output equals plain autoregressive decoding whatever the drafter proposes; sampling stays
 * lossless through {@link TreeVerifier}. {@link #generate} is a batch of one; the serving engine runs the
 * same round over all of its running sequences.
 */
public final class SpeculativeDecoder {
    public static final int MAX_TREE_NODES = 256;

    private final TargetModel target;
    private final TextTokenizer tokenizer;
    private final int contextLength;
    private final RoundRunner runner;

    public SpeculativeDecoder(TargetModel target, TextTokenizer tokenizer) {
        this(target, tokenizer, new GoodputPlanner());
    }

    public SpeculativeDecoder(TargetModel target, TextTokenizer tokenizer, GoodputPlanner planner) {
        this.target = target;
        this.tokenizer = tokenizer;
        this.contextLength = target.info().contextLength();
        this.runner = new RoundRunner(target, planner);
    }

    /** The round primitive (draft, plan, verify, accept) this decoder and its engine share. */
    public RoundRunner rounds() {
        return runner;
    }

    public int contextLength() {
        return contextLength;
    }

    /** Rows a sequence's target cache needs: the context plus one verification tree. */
    public int cacheCapacity(DraftBudget budget) {
        return contextLength + budget.maxNodes() + 1;
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
        if ((long) prompt.length + req.maxTokens() > contextLength) {
            throw new InvalidRequestException("max_tokens", "this model's context holds " + contextLength
                    + " tokens, but " + ((long) prompt.length + req.maxTokens()) + " were requested (" + prompt.length
                    + " in the prompt, max_tokens " + req.maxTokens() + "); ask for max_tokens <= "
                    + (contextLength - prompt.length) + " or shorten the prompt");
        }
        for (Integer id : req.sampling().logitBias().keySet()) {
            if (id >= target.info().vocab()) {
                throw new InvalidRequestException("logit_bias", "logit_bias token id " + id
                        + " is outside the vocabulary [0, " + target.info().vocab() + ")");
            }
        }
        if (req.budget().maxNodes() > MAX_TREE_NODES) {
            throw new InvalidRequestException("max_nodes", "draft budget of " + req.budget().maxNodes()
                    + " nodes exceeds the limit of " + MAX_TREE_NODES);
        }
    }

    /** Generates one sequence to the end, one round at a time. */
    public GenerationResult generate(GenerationRequest req, Drafter drafter, RoundListener listener,
                                     BooleanSupplier cancelled) {
        validate(req);
        runner.ensureCalibrated(); // before the clock starts: a one-time profile is not this request's time
        KvCache cache = target.newCache(cacheCapacity(req.budget()));
        try (Sequence seq = start(req, drafter, cache, null)) {
            List<Sequence> batch = List.of(seq);
            while (!seq.finished()) {
                if (cancelled.getAsBoolean()) {
                    seq.finish(FinishReason.CANCELLED);
                    break;
                }
                if (!seq.hasRoom()) {
                    break;
                }
                RoundResult round = runner.run(batch, null)[0];
                listener.onRound(round, seq.lastEmitted());
            }
            return seq.result();
        }
    }

    /**
     * A cached prompt prefix: the target's KV rows and final hidden states for its first {@code length} tokens.
     * {@code kvRows} is null when the rows were already loaded into the sequence's cache (rows 0..length-1).
     */
    public record PrefixState(int length, float[][] kvRows, float[] hidden) {}

    /** Prefills the prompt (after the cached prefix, if any) and returns the sequence ready for its first round. */
    public Sequence start(GenerationRequest req, Drafter drafter, KvCache cache, PrefixState prefix) {
        return new Sequence(req, drafter, cache, prefix);
    }

    /** One sequence being decoded: its cache, drafter session, output and statistics. */
    public final class Sequence implements PlannedSequence, AutoCloseable {
        private final GenerationRequest req;
        private final Drafter drafter;
        private final KvCache cache;
        private final DraftSession drafts;
        private final OutputTracker out;
        private final SplittableRandom rng;
        private final long startNanos = System.nanoTime();
        private final long prefillNanos;
        private final float[] promptHidden;
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
        private final LogitsProcessor processor;
        private final List<TokenLogprob> logprobs;
        private List<TokenLogprob> lastLogprobs = List.of();

        private Sequence(GenerationRequest req, Drafter drafter, KvCache cache, PrefixState prefix) {
            this.req = req;
            this.drafter = drafter;
            this.cache = cache;
            this.rng = new SplittableRandom(req.sampling().seed());
            this.processor = new LogitsProcessor(req.sampling(), target.info().vocab());
            this.logprobs = req.sampling().wantsLogprobs() ? new java.util.ArrayList<>() : null;
            this.out = new OutputTracker(tokenizer, req.maxTokens(), req.stop());
            int[] prompt = req.promptIds();
            int cached = 0;
            if (prefix != null) {
                if (prefix.kvRows() != null) {
                    cache.load(prefix.kvRows(), prefix.length());
                } else if (cache.length() != prefix.length()) {
                    throw new IllegalStateException("prefix of " + prefix.length() + " rows was not loaded (cache has "
                            + cache.length() + ")");
                }
                cached = prefix.length();
            }
            int[] rest = Arrays.copyOfRange(prompt, cached, prompt.length);
            int[] positions = new int[rest.length];
            for (int i = 0; i < positions.length; i++) {
                positions[i] = cached + i;
            }
            TargetOutput prefill = target.forward(rest, positions, Masks.causal(rest.length, cached), cache);
            cache.appendAll(prefill.present(), rest.length);
            promptHidden = prefix == null ? prefill.hidden() : concat(prefix.hidden(), prefill.hidden());
            int first = TreeVerifier.selectToken(prefill, rest.length - 1, processor, rng);
            lastEmitted = out.addAll(new int[] {first});
            recordEmitted(prefill, new int[] {rest.length - 1}, lastEmitted);
            this.drafts = drafter.newSession();
            drafts.start(prompt, promptHidden, first);
            prefillNanos = System.nanoTime() - startNanos;
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
        public DraftBudget budget() {
            return req.budget();
        }

        @Override
        public int pastLength() {
            return cache.length();
        }

        /** Drafts a tree within {@code budget} and the context's room; time and forwards count toward this round. */
        @Override
        public DraftTree propose(DraftBudget budget) {
            int room = contextLength - 1 - rootPosition();
            long t0 = System.nanoTime();
            DraftTree tree = drafts.propose(budget.withMaxDepth(Math.max(0, room)));
            DraftStats stats = drafts.lastStats();
            roundDraftNanos += System.nanoTime() - t0;
            roundForwards += stats.forwards();
            roundDraftOrtNanos += stats.ortNanos();
            roundDrafterVersion = Math.max(roundDrafterVersion, stats.drafterVersion());
            return tree;
        }

        /** Accepts against the target's verification of {@code tree}, compacts the caches and emits tokens. */
        public RoundResult accept(DraftTree tree, TargetOutput verified, long verifyStart) {
            Acceptance acceptance = TreeVerifier.verify(tree, verified, processor, rng);
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
            if (logprobs != null) {
                List<TokenLogprob> round = new java.util.ArrayList<>(emitted.length);
                for (int j = 0; j < emitted.length; j++) {
                    double[] lp = processor.logSoftmax(processor.process(verified, rows[j], emitted, j));
                    round.add(logprob(lp, emitted[j]));
                }
                logprobs.addAll(round);
                lastLogprobs = round;
            }
            for (int t : emitted) {
                processor.add(t);
            }
        }

        private TokenLogprob logprob(double[] lp, int token) {
            int k = req.sampling().logprobs();
            int[] top = new int[k];
            boolean[] taken = new boolean[lp.length];
            for (int i = 0; i < k && i < lp.length; i++) {
                int best = -1;
                for (int v = 0; v < lp.length; v++) {
                    if (!taken[v] && (best < 0 || lp[v] > lp[best])) {
                        best = v;
                    }
                }
                taken[best] = true;
                top[i] = best;
            }
            List<TokenLogprob.Alternative> alts = new java.util.ArrayList<>(k);
            for (int t : top) {
                alts.add(new TokenLogprob.Alternative(t, tokenText(t), lp[t]));
            }
            return new TokenLogprob(token, tokenText(token), lp[token], alts);
        }

        private String tokenText(int token) {
            return tokenizer.decode(new int[] {token});
        }

        /** Logprobs of the tokens the last prefill or round emitted (empty unless the request asked for them). */
        public List<TokenLogprob> lastLogprobs() {
            return lastLogprobs;
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

        /** Text of the output so far (stop strings applied). */
        public String text() {
            return out.text();
        }

        public GenerationResult result() {
            return new GenerationResult(out.tokens(), out.text(), out.reason(), req.promptIds().length, rounds,
                    accepted, prefillNanos, System.nanoTime() - startNanos, draftNanos, verifyNanos, javaNanos,
                    draftForwards, treeNodes, logprobs == null ? null : List.copyOf(logprobs));
        }

        @Override
        public void close() {
            drafts.close();
        }
    }

    private static float[] concat(float[] a, float[] b) {
        float[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
