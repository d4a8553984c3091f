package dev.specserve.runtime.spec;

import dev.specserve.runtime.tokenizer.TextTokenizer;
import java.util.Arrays;
import java.util.List;

/** Collects committed tokens and decides when to stop: EOS, stop token ids, max tokens, stop strings, cancellation. */
final class OutputTracker {
    private final TextTokenizer tokenizer;
    private final IncrementalDecoder decoder;
    private final int maxTokens;
    private final List<String> stop;
    private final java.util.Set<Integer> stopTokenIds;
    private int[] tokens = new int[64];
    private int count;
    private FinishReason reason;
    private String stoppedText;

    OutputTracker(TextTokenizer tokenizer, int maxTokens, List<String> stop) {
        this(tokenizer, maxTokens, stop, java.util.Set.of());
    }

    /** @param stopTokenIds tokens that end the output once generated (kept in it, as vLLM keeps them) */
    OutputTracker(TextTokenizer tokenizer, int maxTokens, List<String> stop, java.util.Set<Integer> stopTokenIds) {
        this.tokenizer = tokenizer;
        this.decoder = new IncrementalDecoder(tokenizer);
        this.maxTokens = maxTokens;
        this.stop = stop;
        this.stopTokenIds = stopTokenIds;
    }

    /** Adds committed tokens until a stop condition; returns the ones that became output. */
    int[] addAll(int[] committed) {
        int before = count;
        for (int t : committed) {
            if (reason != null) {
                break;
            }
            if (tokenizer.isEos(t)) {
                reason = FinishReason.STOP;
                break;
            }
            if (count == tokens.length) {
                tokens = Arrays.copyOf(tokens, count * 2);
            }
            tokens[count++] = t;
            if (stopTokenIds.contains(t)) {
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

    private void checkStopStrings(int before) {
        if (decoder.cutAtStop(stop, decoder.update(tokens, count))) {
            stoppedText = decoder.text();
            reason = FinishReason.STOP;
            count = tokensThroughStop(before);
        }
    }

    /**
     * The fewest tokens whose text holds a stop string: the round's later tokens are not output (not streamed,
     * not counted in usage), as a server generating one token at a time would never have made them.
     */
    private int tokensThroughStop(int before) {
        for (int k = before + 1; k < count; k++) {
            String text = tokenizer.decode(Arrays.copyOf(tokens, k));
            for (String s : stop) {
                if (text.contains(s)) {
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
        return stoppedText != null ? stoppedText : tokenizer.decode(tokens());
    }
}
