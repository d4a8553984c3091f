package dev.specserve.runtime.spec;

import dev.specserve.runtime.model.TargetOutput;
import dev.specserve.runtime.tokenizer.TextTokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * The logprobs a request asked for: of each output token, from the processed distribution it was chosen from
 * ({@code logprobs}), and of each prompt token after the first, from the raw model distribution at the position
 * before it (vLLM's {@code prompt_logprobs}; what OpenAI's {@code echo} with {@code logprobs} reports). A token that
 * a mask rules out (a constraint, {@code allowed_token_ids}) is reported at {@link #FLOOR}, as OpenAI and vLLM
 * report it: negative infinity is not a JSON number.
 */
final class LogprobRecorder {
    /** The lowest logprob reported (OpenAI's and vLLM's {@code -9999.0}). */
    static final double FLOOR = -9999.0;

    private final TextTokenizer tokenizer;
    private final boolean skipSpecialTokens;
    private final int outputTop;
    private final int promptTop;
    private final List<TokenLogprob> output;
    private final List<TokenLogprob> prompt;
    private List<TokenLogprob> last = List.of();

    LogprobRecorder(TextTokenizer tokenizer, SamplingParams sampling) {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = sampling.skipSpecialTokens();
        this.outputTop = sampling.logprobs();
        this.promptTop = sampling.promptLogprobs();
        this.output = outputTop >= 0 ? new ArrayList<>() : null;
        this.prompt = promptTop >= 0 ? new ArrayList<>() : null;
    }

    /** True when prefill must keep every row's logits. */
    boolean wantsPrompt() {
        return prompt != null;
    }

    /**
     * Records the prompt tokens a prefill chunk predicts: row j of {@code chunk} (the prompt from {@code from})
     * predicts prompt token {@code from + j + 1}, for those inside the prompt. The first prompt token, which
     * nothing predicts, is recorded with a NaN logprob and no alternatives (OpenAI's null).
     */
    void prompt(TargetOutput chunk, int[] promptIds, int from) {
        if (prompt == null) {
            return;
        }
        if (from == 0 && promptIds.length > 0) {
            String first = text(promptIds[0]);
            prompt.add(new TokenLogprob(promptIds[0], first, tokenizer.tokenBytes(promptIds[0], first), Double.NaN,
                    List.of(), 0));
        }
        for (int j = 0; j < chunk.rows() && from + j + 1 < promptIds.length; j++) {
            prompt.add(entry(logSoftmax(chunk, j), promptIds[from + j + 1], promptTop));
        }
    }

    /** Records output tokens: token j was chosen from verification row {@code rows[j]}, processed with the counts before it. */
    void output(LogitsProcessor processor, TargetOutput verified, int[] rows, int[] emitted) {
        if (output == null) {
            return;
        }
        List<TokenLogprob> round = new ArrayList<>(emitted.length);
        for (int j = 0; j < emitted.length; j++) {
            round.add(entry(processor.logSoftmax(processor.process(verified, rows[j], emitted, j)), emitted[j],
                    outputTop));
        }
        output.addAll(round);
        last = round;
    }

    /** The output tokens' logprobs recorded by the last call (empty unless asked for). */
    List<TokenLogprob> last() {
        return last;
    }

    List<TokenLogprob> output() {
        return output == null ? null : List.copyOf(output);
    }

    List<TokenLogprob> prompt() {
        return prompt == null ? null : List.copyOf(prompt);
    }

    private static double[] logSoftmax(TargetOutput out, int row) {
        int base = out.logitsOffset(row);
        float[] l = out.logits();
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < out.vocab(); v++) {
            max = Math.max(max, l[base + v]);
        }
        double sum = 0;
        for (int v = 0; v < out.vocab(); v++) {
            sum += Math.exp(l[base + v] - max);
        }
        double log = max + Math.log(sum);
        double[] lp = new double[out.vocab()];
        for (int v = 0; v < lp.length; v++) {
            lp[v] = l[base + v] - log;
        }
        return lp;
    }

    private TokenLogprob entry(double[] lp, int token, int k) {
        int[] top = new int[Math.min(k, lp.length)];
        boolean[] taken = new boolean[lp.length];
        for (int i = 0; i < top.length; i++) {
            int best = -1;
            for (int v = 0; v < lp.length; v++) {
                if (!taken[v] && (best < 0 || lp[v] > lp[best])) {
                    best = v;
                }
            }
            taken[best] = true;
            top[i] = best;
        }
        List<TokenLogprob.Alternative> alts = new ArrayList<>(top.length);
        for (int t : top) {
            String text = text(t);
            alts.add(new TokenLogprob.Alternative(t, text, tokenizer.tokenBytes(t, text), Math.max(lp[t], FLOOR)));
        }
        int rank = 1;
        for (double v : lp) {
            rank += v > lp[token] ? 1 : 0;
        }
        String text = text(token);
        return new TokenLogprob(token, text, tokenizer.tokenBytes(token, text), Math.max(lp[token], FLOOR), alts, rank);
    }

    private String text(int token) {
        return tokenizer.decode(new int[] {token}, skipSpecialTokens);
    }
}
