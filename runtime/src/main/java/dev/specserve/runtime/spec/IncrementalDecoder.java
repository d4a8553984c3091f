package dev.specserve.runtime.spec;

import dev.specserve.runtime.tokenizer.TextTokenizer;
import java.util.Arrays;
import java.util.List;

/**
 * The text of a growing token list, decoded a window at a time as vLLM's {@code detokenize_incrementally} does.
 * Tokens before {@code read} have fixed text; each update decodes tokens [prefix, end) and [prefix, read), both
 * from the same token, so artefacts of decoding from mid-text (a leading space, a character split across tokens)
 * cancel, and the new text is the difference. {@code read} moves to the end, and {@code prefix} to the old
 * {@code read}, once the new text no longer ends in an incomplete UTF-8 sequence (U+FFFD). The text is what
 * decoding every token at once gives; should a window's text not extend its prefix's (a decoder that rewrites
 * earlier text, like byte-fallback runs turning invalid), the update decodes every token instead.
 */
final class IncrementalDecoder {
    private final TextTokenizer tokenizer;
    private final boolean skipSpecialTokens;
    private final StringBuilder text = new StringBuilder();
    private int prefix;
    private int read;
    private int decoded;
    private int fixed;
    private int sent;

    IncrementalDecoder(TextTokenizer tokenizer) {
        this(tokenizer, true);
    }

    IncrementalDecoder(TextTokenizer tokenizer, boolean skipSpecialTokens) {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = skipSpecialTokens;
    }

    /** Decodes the tokens up to {@code count}; returns the index before which the text is unchanged. */
    int update(int[] tokens, int count) {
        if (count == decoded) {
            return text.length();
        }
        int from = fixed;
        String before = prefix < read ? decode(tokens, prefix, read) : "";
        String window = decode(tokens, prefix, count);
        if (!window.startsWith(before)) {
            from = prefix = read = fixed = 0;
            before = "";
            window = decode(tokens, 0, count);
        }
        text.setLength(fixed);
        text.append(window, before.length(), window.length());
        decoded = count;
        if (text.length() > fixed && text.charAt(text.length() - 1) != '\uFFFD') {
            fixed = text.length();
            prefix = read;
            read = count;
        }
        return from;
    }

    private String decode(int[] tokens, int from, int to) {
        return tokenizer.decode(Arrays.copyOfRange(tokens, from, to), skipSpecialTokens);
    }

    String text() {
        return text.toString();
    }

    /**
     * Ends the text at the earliest of the stop strings in it (just after it with {@code keepStop}, vLLM's
     * {@code include_stop_str_in_output}); false when none occurs. Text before
     * {@code unchangedBefore} was searched before, so a string is looked for where it would reach past it.
     */
    boolean cutAtStop(List<String> stop, int unchangedBefore, boolean keepStop) {
        int cut = -1;
        int length = 0;
        for (String s : stop) {
            int i = text.indexOf(s, Math.max(0, unchangedBefore - s.length() + 1));
            if (i >= 0 && (cut < 0 || i < cut || (i == cut && s.length() > length))) {
                cut = i;
                length = s.length();
            }
        }
        if (cut >= 0) {
            text.setLength(keepStop ? cut + length : cut);
        }
        return cut >= 0;
    }

    /**
     * The text not yet handed out: all of it once {@code finished}; else up to any incomplete UTF-8 sequence at
     * its end, which waits for its remaining bytes, and short of any end that begins one of the {@code stop}
     * strings, which waits to see whether the string completes (then it is cut, never sent), as vLLM holds back
     * its stop buffer.
     */
    String delta(boolean finished, List<String> stop) {
        int stable = text.length();
        while (!finished && stable > sent && text.charAt(stable - 1) == '\uFFFD') {
            stable--;
        }
        if (!finished) {
            stable -= stopPrefixAtEnd(stable, stop);
        }
        String delta = stable > sent ? text.substring(sent, stable) : "";
        sent = Math.max(sent, stable);
        return delta;
    }

    /** The length of the longest end of the unsent text before {@code end} that a stop string starts with. */
    private int stopPrefixAtEnd(int end, List<String> stop) {
        int longest = 0;
        for (String s : stop) {
            for (int n = Math.min(s.length() - 1, end - sent); n > longest; n--) {
                if (startsAt(end - n, s, n)) {
                    longest = n;
                    break;
                }
            }
        }
        return longest;
    }

    private boolean startsAt(int at, String s, int n) {
        for (int i = 0; i < n; i++) {
            if (text.charAt(at + i) != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
