package dev.specserve.runtime.spec;

import dev.specserve.runtime.grammar.GrammarException;
import dev.specserve.runtime.grammar.OutputGrammar;
import dev.specserve.runtime.grammar.TokenMask;
import dev.specserve.runtime.kv.KvCache;
import dev.specserve.runtime.kv.KvCacheRecycler;
import dev.specserve.runtime.model.Masks;
import dev.specserve.runtime.model.TargetModel;
import dev.specserve.runtime.model.TargetOutput;
import dev.specserve.runtime.plan.GoodputPlanner;
import dev.specserve.runtime.plan.PlannedSequence;
import dev.specserve.runtime.tokenizer.TextTokenizer;
import java.util.List;
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
    /** Target caches of finished {@link #generate} calls, for the next (an allocation costs ms, see the recycler). */
    private final KvCacheRecycler spareCaches = new KvCacheRecycler(2);

    private volatile TokenMask tokenMask;

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

    /** The model's structured-output masks, built on first use; null when the tokenizer is not byte-level BPE. */
    private TokenMask tokenMask() {
        TokenMask m = tokenMask;
        if (m == null) {
            byte[][] bytes = tokenizer.byteLevelVocab(target.info().vocab());
            if (bytes == null) {
                return null;
            }
            m = new TokenMask(bytes, tokenizer.eosIds(), text -> tokenizer.encode(text, false));
            tokenMask = m;
        }
        return m;
    }

    public int vocabSize() {
        return target.info().vocab();
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
            throw new InvalidRequestException("prompt", "prompt has " + prompt.length + " tokens but this model's maximum context length is "
                    + contextLength + " (at most " + (contextLength - 1) + " prompt tokens)");
        }
        for (int id : prompt) {
            if (id < 0 || id >= target.info().vocab()) {
                throw new InvalidRequestException("prompt", "token id " + id + " is outside the vocabulary [0, "
                        + target.info().vocab() + ")");
            }
        }
        OutputGrammar grammar = req.sampling().grammar();
        if (grammar != null) {
            if (tokenMask() == null) {
                throw new InvalidRequestException(grammar.field(), "structured output needs a byte-level BPE tokenizer "
                        + "(tokenizer.json with a ByteLevel decoder); this model's is not");
            }
            try {
                grammar.compile();
            } catch (GrammarException e) {
                throw new InvalidRequestException(grammar.field(), e.getMessage());
            }
        }
        if (req.maxTokens() <= 0) {
            throw new InvalidRequestException("max_tokens", "max_tokens must be > 0, got " + req.maxTokens());
        }
        if ((long) prompt.length + req.maxTokens() > contextLength) {
            throw new InvalidRequestException("max_tokens", "this model's maximum context length is " + contextLength
                    + " tokens, but " + ((long) prompt.length + req.maxTokens()) + " were requested (" + prompt.length
                    + " in the prompt, max_tokens " + req.maxTokens() + "); ask for max_tokens <= "
                    + (contextLength - prompt.length) + " or shorten the prompt");
        }
        req.sampling().restrictions().check(target.info().vocab(), req.sampling(), tokenizer);
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
        KvCache cache = spareCaches.take(cacheCapacity(req.budget()), target::newCache);
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
        } finally {
            spareCaches.give(cache);
        }
    }

    /** Prefills the prompt (after the cached prefix, if any) and returns the sequence ready for its first round. */
    public Sequence start(GenerationRequest req, Drafter drafter, KvCache cache, PrefixState prefix) {
        Sequence seq = open(req, drafter, cache, prefix);
        seq.prefill(Integer.MAX_VALUE);
        return seq;
    }

    /**
     * A sequence whose prompt is not prefilled yet (beyond the cached prefix): the engine calls
     * {@link Sequence#prefill} with a token budget per round until it returns true, so a long prompt is
     * prefilled in chunks between the running sequences' rounds instead of stalling them.
     */
    public Sequence open(GenerationRequest req, Drafter drafter, KvCache cache, PrefixState prefix) {
        return new Sequence(target, tokenizer, req, drafter, cache, prefix,
                req.sampling().grammar() != null ? tokenMask() : null);
    }
}
