package dev.specserve.runtime.spec;

import dev.specserve.runtime.grammar.OutputGrammar;
import java.util.Map;
import java.util.TreeMap;

/**
 * How the target's next-token distribution is shaped, in vLLM's order: {@code logit_bias} is added to the
 * logits; the repetition penalty divides the positive logits (and multiplies the negative ones) of every token
 * in the prompt or the output so far; the frequency penalty (times the token's count in the output so far) and
 * the presence penalty (once, if the token occurs in the output so far) are subtracted; then temperature (below
 * {@value #GREEDY_BELOW}, 0 included, greedy: argmax of the processed logits, as vLLM does, since dividing logits
 * by a vanishing temperature overflows), min-p, top-k and top-p. Frequency and presence count generated tokens
 * only, never the prompt.
 *
 * @param logitBias token id to bias in [-100, 100]; empty for none
 * @param logprobs  top alternatives to report per emitted token (0..5), or -1 for no logprobs
 * @param topK      sample among the k most likely tokens only; 0 for all
 * @param minP      drop tokens less likely than this share of the most likely one; 0 for none
 * @param repetitionPenalty  vLLM's (and Hugging Face's) multiplicative penalty, &gt; 0; 1 for none
 * @param stopping  vLLM's stopping parameters: stop token ids, {@code min_tokens}, {@code ignore_eos} and
 *                  {@code include_stop_str_in_output} ({@link Stopping})
 * @param promptLogprobs  vLLM's {@code prompt_logprobs}: top alternatives (0..5) to report for each prompt token after
 *                   the first, from the raw model distribution; -1 for none
 * @param grammar   structured output (OpenAI's {@code response_format}, vLLM's guided decoding), or null for none:
 *                   every token the grammar refuses after the output so far is masked out, and EOS until the output
 *                   is complete ({@link OutputGrammar})
 * @param restrictions vLLM's {@code allowed_token_ids} and {@code bad_words} ({@link TokenRestrictions})
 * @param skipSpecialTokens vLLM's {@code skip_special_tokens}: special tokens (EOS, control tokens) have no text in
 *                   the output (the default); false writes them out, e.g. {@code <|endoftext|>}
 */
public record SamplingParams(double temperature, double topP, long seed, double presencePenalty,
                             double frequencyPenalty, Map<Integer, Double> logitBias, int logprobs, int topK,
                             double minP, double repetitionPenalty, Stopping stopping, int promptLogprobs,
                             OutputGrammar grammar, TokenRestrictions restrictions,
                             boolean skipSpecialTokens) {
    public static final SamplingParams GREEDY = new SamplingParams(0, 1, 0);
    public static final double MAX_PENALTY = 2.0;
    public static final double MAX_BIAS = 100.0;
    public static final int MAX_LOGPROBS = 20; // vLLM's default max_logprobs; OpenAI: 5 on completions, 20 on chat
    /** Temperatures below this decode greedily (vLLM's sampling epsilon). */
    public static final double GREEDY_BELOW = 1e-5;

    public SamplingParams(double temperature, double topP, long seed) {
        this(temperature, topP, seed, 0, 0, Map.of(), -1);
    }

    public SamplingParams(double temperature, double topP, long seed, double presencePenalty, double frequencyPenalty,
                          Map<Integer, Double> logitBias, int logprobs) {
        this(temperature, topP, seed, presencePenalty, frequencyPenalty, logitBias, logprobs, 0, 0, 1,
                Stopping.DEFAULT, -1, null, TokenRestrictions.NONE, true);
    }

    public SamplingParams {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new InvalidRequestException("temperature", "temperature must be a finite number >= 0, got " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new InvalidRequestException("top_p", "top_p must be in (0, 1], got " + topP);
        }
        if (!(Math.abs(presencePenalty) <= MAX_PENALTY)) {
            throw new InvalidRequestException("presence_penalty", "presence_penalty must be in [-2, 2], got "
                    + presencePenalty);
        }
        if (!(Math.abs(frequencyPenalty) <= MAX_PENALTY)) {
            throw new InvalidRequestException("frequency_penalty", "frequency_penalty must be in [-2, 2], got "
                    + frequencyPenalty);
        }
        logitBias = logitBias == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(logitBias));
        for (Map.Entry<Integer, Double> e : logitBias.entrySet()) {
            if (e.getKey() == null || e.getKey() < 0) {
                throw new InvalidRequestException("logit_bias", "logit_bias keys must be token ids >= 0, got "
                        + e.getKey());
            }
            if (e.getValue() == null || !(Math.abs(e.getValue()) <= MAX_BIAS)) {
                throw new InvalidRequestException("logit_bias", "logit_bias values must be in [-100, 100], got "
                        + e.getValue() + " for token " + e.getKey());
            }
        }
        if (logprobs < -1 || logprobs > MAX_LOGPROBS) {
            throw new InvalidRequestException("logprobs", "logprobs must be in [0, " + MAX_LOGPROBS + "], got " + logprobs);
        }
        if (topK < -1) {
            throw new InvalidRequestException("top_k", "top_k must be a positive integer, or -1 or 0 for all tokens, got "
                    + topK);
        }
        topK = Math.max(0, topK);
        if (!(minP >= 0 && minP <= 1)) {
            throw new InvalidRequestException("min_p", "min_p must be in [0, 1], got " + minP);
        }
        if (!(repetitionPenalty > 0) || Double.isInfinite(repetitionPenalty)) {
            throw new InvalidRequestException("repetition_penalty", "repetition_penalty must be a number > 0 (1 for "
                    + "none), got " + repetitionPenalty);
        }
        stopping = stopping == null ? Stopping.DEFAULT : stopping;
        restrictions = restrictions == null ? TokenRestrictions.NONE : restrictions;
        if (promptLogprobs < -1 || promptLogprobs > MAX_LOGPROBS) {
            throw new InvalidRequestException("logprobs", "prompt logprobs must be in [0, " + MAX_LOGPROBS + "], got "
                    + promptLogprobs);
        }
    }

    public boolean greedy() {
        return temperature < GREEDY_BELOW;
    }

    /** True when logits must be processed (bias or penalties) before temperature and truncation. */
    public boolean processesLogits() {
        return presencePenalty != 0 || frequencyPenalty != 0 || repetitionPenalty != 1 || !logitBias.isEmpty()
                || !restrictions.isEmpty();
    }

    public boolean wantsLogprobs() {
        return logprobs >= 0;
    }

    public SamplingParams withPenalties(double presence, double frequency, Map<Integer, Double> bias) {
        return new SamplingParams(temperature, topP, seed, presence, frequency, bias, logprobs, topK, minP,
                repetitionPenalty, stopping, promptLogprobs, grammar, restrictions, skipSpecialTokens);
    }

    public SamplingParams withLogprobs(int n) {
        return new SamplingParams(temperature, topP, seed, presencePenalty, frequencyPenalty, logitBias, n, topK, minP,
                repetitionPenalty, stopping, promptLogprobs, grammar, restrictions, skipSpecialTokens);
    }

    /** vLLM's extra sampling parameters: top-k, min-p and the repetition penalty. */
    public SamplingParams withVllmSampling(int k, double p, double repetition) {
        return new SamplingParams(temperature, topP, seed, presencePenalty, frequencyPenalty, logitBias, logprobs, k, p,
                repetition, stopping, promptLogprobs, grammar, restrictions, skipSpecialTokens);
    }

    /** With the prompt tokens' logprobs and {@code n} alternatives each (-1: none). */
    public SamplingParams withPromptLogprobs(int n) {
        return new SamplingParams(temperature, topP, seed, presencePenalty, frequencyPenalty, logitBias, logprobs, topK,
                minP, repetitionPenalty, stopping, n, grammar, restrictions, skipSpecialTokens);
    }

    public SamplingParams withSeed(long s) {
        return new SamplingParams(temperature, topP, s, presencePenalty, frequencyPenalty, logitBias, logprobs, topK,
                minP, repetitionPenalty, stopping, promptLogprobs, grammar, restrictions, skipSpecialTokens);
    }

    /** vLLM's stopping parameters: {@code stop_token_ids}, {@code min_tokens} and {@code ignore_eos}. */
    public SamplingParams withStopping(java.util.Set<Integer> ids, int min, boolean ignore) {
        return withStopping(new Stopping(ids, min, ignore, stopping.includeStopStr()));
    }

    public SamplingParams withStopping(Stopping s) {
        return new SamplingParams(temperature, topP, seed, presencePenalty, frequencyPenalty, logitBias, logprobs, topK,
                minP, repetitionPenalty, s, promptLogprobs, grammar, restrictions, skipSpecialTokens);
    }

    /** With vLLM's {@code allowed_token_ids} and {@code bad_words}. */
    public SamplingParams withRestrictions(TokenRestrictions r) {
        return new SamplingParams(temperature, topP, seed, presencePenalty, frequencyPenalty, logitBias, logprobs, topK,
                minP, repetitionPenalty, stopping, promptLogprobs, grammar, r, skipSpecialTokens);
    }

    /** With vLLM's {@code skip_special_tokens}. */
    public SamplingParams withSkipSpecialTokens(boolean skip) {
        return new SamplingParams(temperature, topP, seed, presencePenalty, frequencyPenalty, logitBias, logprobs, topK,
                minP, repetitionPenalty, stopping, promptLogprobs, grammar, restrictions, skip);
    }

    /** With structured output under {@code g} (null: none). */
    public SamplingParams withGrammar(OutputGrammar g) {
        return new SamplingParams(temperature, topP, seed, presencePenalty, frequencyPenalty, logitBias, logprobs, topK,
                minP, repetitionPenalty, stopping, promptLogprobs, g, restrictions, skipSpecialTokens);
    }
}
