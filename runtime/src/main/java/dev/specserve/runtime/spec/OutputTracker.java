package dev.specserve.runtime.spec;

import dev.specserve.runtime.tokenizer.TextTokenizer;
import java.util.Arrays;
import java.util.List;

/** Collects committed tokens and decides when to stop: EOS, max tokens, stop strings, cancellation. */
final class OutputTracker {
    private final TextTokenizer tokenizer;
    private final int maxTokens;
    private final List<String> stop;
    private int[] tokens = new int[64];
    private int count;
    private FinishReason reason;
    private String stoppedText;

    OutputTracker(TextTokenizer tokenizer, int maxTokens, List<String> stop) {
        this.tokenizer = tokenizer;
        this.maxTokens = maxTokens;
        this.stop = stop;
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
            if (count >= maxTokens) {
                reason = FinishReason.LENGTH;
            }
        }
        if (!stop.isEmpty() && count > before) {
            checkStopStrings();
        }
        return Arrays.copyOfRange(tokens, before, count);
    }

    private void checkStopStrings() {
        String text = tokenizer.decode(tokens());
        int cut = -1;
        for (String s : stop) {
            int i = text.indexOf(s);
            if (i >= 0 && (cut < 0 || i < cut)) {
                cut = i;
            }
        }
        if (cut >= 0) {
            stoppedText = text.substring(0, cut);
            reason = FinishReason.STOP;
        }
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

    String text() {
        return stoppedText != null ? stoppedText : tokenizer.decode(tokens());
    }
}
