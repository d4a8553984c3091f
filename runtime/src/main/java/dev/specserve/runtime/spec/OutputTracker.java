package dev.specserve.runtime.spec;

import dev.specserve.runtime.tokenizer.TextTokenizer;
import java.util.Arrays;
import java.util.List;

/**
 * Collects committed tokens and decides when to stop: EOS (unless {@code ignore_eos}), stop token ids, max tokens,
 * stop strings (only in text that ends after the first {@code min_tokens} tokens, as vLLM's stop checker), cancellation.
 */
final class OutputTracker {
    private final TextTokenizer tokenizer;
    private final IncrementalDecoder decoder;
    private final int maxTokens;
    private final List<String> stop;
    private final Stopping stopping;
    private int[] tokens = new int[64];
    private int count;
    private FinishReason reason;
    private String stoppedText;
    private final boolean skipSpecialTokens;

    OutputTracker(TextTokenizer tokenizer, int maxTokens, List<String> stop) {
        this(tokenizer, maxTokens, stop, SamplingParams.GREEDY);
    }

    /**
     * @param sampling its stop token ids (kept in the output, as vLLM keeps them), min tokens, ignore-EOS, whether
     *                 a stop string stays in the text and whether special tokens have text
     */
    OutputTracker(TextTokenizer tokenizer, int maxTokens, List<String> stop, SamplingParams sampling) {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = sampling.skipSpecialTokens();
        this.decoder = new IncrementalDecoder(tokenizer, skipSpecialTokens);
        this.maxTokens = maxTokens;
        this.stop = stop;
        this.stopping = sampling.stopping();
    }

    /** Output tokens still allowed by max tokens. */
    int left() {
        return maxTokens - count;
    }

    /** Adds committed tokens until a stop condition; returns the ones that became output. */
    int[] addAll(int[] committed) {
        int before = count;
        for (int t : committed) {
            if (reason != null) {
                break;
            }
            if (!stopping.ignoreEos() && tokenizer.isEos(t)) {
                reason = FinishReason.STOP;
                break;
            }
            if (count == tokens.length) {
                tokens = Arrays.copyOf(tokens, count * 2);
            }
            tokens[count++] = t;
            if (stopping.tokenIds().contains(t)) {
                reason = FinishReason.STOP;
            } else if (count >= maxTokens) {
                reason = FinishReason.LENGTH;
            }
        }
        if (!stop.isEmpty() && count > before) {
            checkStopStrings(before);
        }
        return Arrays.copyOfRange(tokens, before, count);
    }

    /** Looks for the stop strings in the text of the tokens from {@code min_tokens} on (the decoder sees all). */
    private void checkStopStrings(int before) {
        int from = Math.max(before, stopping.minTokens() - 1);
        if (from >= count) {
            decoder.update(tokens, count);
            return;
        }
        if (from > before) {
            decoder.update(tokens, from);
        }
        int searchedBefore = decoder.update(tokens, count);
        if (decoder.cutAtStop(stop, searchedBefore, stopping.includeStopStr())) {
            stoppedText = decoder.text();
            reason = FinishReason.STOP;
            count = tokensThroughStop(from, searchedBefore);
        }
    }

    /**
     * The fewest tokens whose text holds a stop string reaching past {@code searchedBefore}: the round's later
     * tokens are not output (not streamed, not counted in usage), as a server generating one token at a time would
     * never have made them.
     */
    private int tokensThroughStop(int from, int searchedBefore) {
        for (int k = from + 1; k < count; k++) {
            String text = tokenizer.decode(Arrays.copyOf(tokens, k), skipSpecialTokens);
            for (String s : stop) {
                if (text.indexOf(s, Math.max(0, searchedBefore - s.length() + 1)) >= 0) {
                    return k;
                }
            }
        }
        return count;
    }

    void finish(FinishReason why) {
        if (reason == null) {
            reason = why;
        }
    }

    boolean finished() {
        return reason != null;
    }

    FinishReason reason() {
        return reason;
    }

    int last() {
        return tokens[count - 1];
    }

    int[] tokens() {
        return Arrays.copyOf(tokens, count);
    }

    /** The text that became stable since the last call: see {@link IncrementalDecoder#delta}. */
    String delta() {
        if (stoppedText == null) { // once cut at a stop string the text is final
            decoder.update(tokens, count);
        }
        return decoder.delta(finished(), stop);
    }

    String text() {
        return stoppedText != null ? stoppedText : tokenizer.decode(tokens(), skipSpecialTokens);
    }
}
