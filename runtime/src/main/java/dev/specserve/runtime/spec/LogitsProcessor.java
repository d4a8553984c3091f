package dev.specserve.runtime.spec;

import dev.specserve.runtime.grammar.GrammarState;
import dev.specserve.runtime.grammar.TokenMask;
import dev.specserve.runtime.model.TargetOutput;
import java.util.Map;

/**
 * One sequence's logit processing (vLLM semantics): {@code logit_bias}; the repetition, presence and frequency
 * penalties ({@link Penalties}). A verification row of a draft tree is processed with the counts along ITS path:
 * the output so far plus the node's ancestors and the node itself, i.e. exactly the counts plain decoding would
 * have at that position. So speculative sampling stays lossless against the penalised distribution and greedy
 * speculation equals greedy plain decoding with the same penalties. {@code min_tokens} is applied the same way: a
 * row whose position lies before the minimum (output so far plus the node's depth) has EOS and the stop token ids
 * masked, as vLLM's min-tokens processor masks them. Structured output ({@link SamplingParams#grammar}) too: a row
 * is masked to the tokens the grammar allows after the output so far and the row's path; and vLLM's
 * {@code allowed_token_ids} and {@code bad_words} ({@link TokenRestrictions}), the latter along the row's path.
 */
public final class LogitsProcessor {
    private final SamplingParams params;
    private final int vocab;
    /** Repetition, frequency and presence penalties; null without them. */
    private final Penalties penalties;
    /** EOS and the stop token ids: masked while the output is shorter than {@code min_tokens}. */
    private final int[] stopIds;
    private int generated;
    /** Structured output: the model's token masks, and the grammar state of the output so far; null otherwise. */
    private final TokenMask masks;
    private final GrammarState grammar;
    /** {@code allowed_token_ids} and {@code bad_words}; null without them. */
    private final RestrictionMask restrictions;

    /** Without a prompt, EOS ids or token masks; a request with {@code bad_words} needs the full constructor. */
    public LogitsProcessor(SamplingParams params, int vocab) {
        this(params, vocab, new int[0], new int[0], null, new int[0][]);
        if (!params.restrictions().badWords().isEmpty()) {
            throw new IllegalArgumentException("bad_words need their token ids: use the constructor taking them");
        }
    }

    /**
     * @param prompt the request's prompt ids, which the repetition penalty counts as seen
     * @param eosIds the tokenizer's EOS ids, which {@code min_tokens} masks with the stop token ids
     * @param masks  the model's token masks, for a request with a {@link SamplingParams#grammar} (else ignored)
     * @param badWordIds the request's {@code bad_words} as token sequences ({@link TokenRestrictions#badWordIds})
     */
    public LogitsProcessor(SamplingParams params, int vocab, int[] prompt, int[] eosIds, TokenMask masks,
                           int[][] badWordIds) {
        this.params = params;
        this.restrictions = RestrictionMask.of(params.restrictions(), vocab, badWordIds);
        this.masks = params.grammar() != null ? masks : null;
        this.grammar = this.masks == null ? null : params.grammar().start();
        this.vocab = vocab;
        this.stopIds = java.util.stream.IntStream.concat(java.util.Arrays.stream(eosIds),
                        params.stopping().tokenIds().stream().mapToInt(Integer::intValue))
                .filter(t -> t >= 0 && t < vocab).distinct().toArray();
        this.penalties = Penalties.of(params, vocab, prompt);
    }

    public SamplingParams params() {
        return params;
    }

    /** True while rows must be processed: bias or penalties set, or the output still short of {@code min_tokens}. */
    public boolean processes() {
        return params.processesLogits() || generated < params.stopping().minTokens() || masks != null;
    }

    /** At most {@code max} tokens to draft for the text the output grammar forces next; empty without one. */
    public int[] forcedTokens(int max) {
        return masks == null ? new int[0] : masks.forced(params.grammar(), grammar, max);
    }

    /** Counts a committed output token. */
    public void add(int token) {
        generated++;
        if (restrictions != null) {
            restrictions.add(token);
        }
        if (grammar != null && masks.bytes(token) != null) {
            masks.committed(params.grammar(), grammar, token);
            grammar.acceptAll(masks.bytes(token));
        }
        if (penalties != null) {
            penalties.add(token);
        }
    }

    /**
     * The processed logits of {@code row}, as if {@code path[0..pathLength)} had been generated after the
     * output so far. Returns the raw row (a copy) when nothing is to be processed.
     */
    public double[] process(TargetOutput out, int row, int[] path, int pathLength) {
        return process(out.logits(), out.logitsOffset(row), path, pathLength);
    }

    double[] process(float[] logits, int offset, int[] path, int pathLength) {
        double[] l = new double[vocab];
        for (int v = 0; v < vocab; v++) {
            l[v] = logits[offset + v];
        }
        for (Map.Entry<Integer, Double> e : params.logitBias().entrySet()) {
            if (e.getKey() < vocab) {
                l[e.getKey()] += e.getValue();
            }
        }
        if (penalties != null) {
            penalties.apply(l, path, pathLength);
        }
        if (restrictions != null) {
            restrictions.apply(l, path, pathLength);
        }
        if (generated + pathLength < params.stopping().minTokens()) {
            for (int t : stopIds) {
                l[t] = Double.NEGATIVE_INFINITY;
            }
        }
        if (masks != null) {
            grammarMask(l, path, pathLength);
        }
        return l;
    }

    /**
     * Masks what the grammar refuses after the output so far and the path. A path the grammar refuses (a drafted
     * token the parent's row masked) is never accepted, so its row is left as it is.
     */
    private void grammarMask(double[] l, int[] path, int pathLength) {
        GrammarState state = pathLength == 0 ? grammar : grammar.copy();
        for (int i = 0; i < pathLength; i++) {
            byte[] b = masks.bytes(path[i]);
            if (b == null || !state.acceptAll(b)) {
                return;
            }
        }
        boolean[] allowed = masks.allowed(params.grammar(), state);
        for (int v = 0; v < vocab && v < allowed.length; v++) {
            if (!allowed[v]) {
                l[v] = Double.NEGATIVE_INFINITY;
            }
        }
    }

    /** Index of the largest processed logit (the lowest index on ties, as {@link TargetOutput#argmax}). */
    public static int argmax(double[] l) {
        int best = 0;
        for (int v = 1; v < l.length; v++) {
            if (l[v] > l[best]) {
                best = v;
            }
        }
        return best;
    }

    /**
     * The distribution logprobs are reported from: log-softmax of the processed logits divided by the
     * temperature (1 when greedy), before min-p, top-k and top-p truncation (so truncation leaves every logprob
     * finite; a token a constraint or {@code allowed_token_ids} masks out has negative infinity).
     */
    public double[] logSoftmax(double[] processed) {
        double t = params.greedy() ? 1.0 : params.temperature();
        double max = Double.NEGATIVE_INFINITY;
        for (double v : processed) {
            max = Math.max(max, v / t);
        }
        double sum = 0;
        for (double v : processed) {
            sum += Math.exp(v / t - max);
        }
        double log = max + Math.log(sum);
        double[] out = new double[processed.length];
        for (int v = 0; v < processed.length; v++) {
            out[v] = processed[v] / t - log;
        }
        return out;
    }
}
