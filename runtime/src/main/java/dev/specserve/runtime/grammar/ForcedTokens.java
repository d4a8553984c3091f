package dev.specserve.runtime.grammar;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.specserve.runtime.grammar.TokenMask.MaskKey;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Function;

/**
 * Drafts for the text an output grammar forces (a JSON schema's keys and punctuation), as SGLang's jump-forward
 * decoding writes them, but verified: the target may split the same bytes into other tokens than the tokenizer
 * does, and a small model under a grammar often does ({@code "} and {@code :} for {@code ":}). So at each state
 * where text is forced, the token the target last committed there is drafted, and only states never seen fall back
 * to the tokenizer's split. Per model, shared by its requests (they share compiled grammars). Thread-safe.
 */
final class ForcedTokens {
    /** Forced bytes tokenized from one state: more than any tree drafts. */
    static final int MAX_FORCED_BYTES = 64;
    private static final int[] NONE = new int[0];

    private final TokenMask masks;
    private final Function<String, int[]> encoder;
    private final Cache<MaskKey, Integer> seen = Caffeine.newBuilder().maximumSize(65_536).build();
    private final Cache<MaskKey, int[]> split = Caffeine.newBuilder().maximumSize(16_384).build();

    ForcedTokens(TokenMask masks, Function<String, int[]> encoder) {
        this.masks = masks;
        this.encoder = encoder;
    }

    /** At most {@code maxTokens} tokens for the text forced after {@code state}; empty when none is forced. */
    int[] chain(OutputGrammar grammar, GrammarState state, int maxTokens) {
        if (maxTokens <= 0 || !state.forcesNext()) {
            return NONE;
        }
        GrammarState s = state.copy();
        int[] out = new int[maxTokens];
        int n = 0;
        while (n < maxTokens) {
            MaskKey key = new MaskKey(grammar, s.key());
            Integer last = seen.getIfPresent(key);
            int next;
            if (last != null) {
                next = last;
            } else {
                int[] tokens = split.get(key, k -> tokenizerSplit(s));
                if (tokens.length == 0) {
                    break;
                }
                next = tokens[0];
            }
            byte[] b = masks.bytes(next);
            if (b == null || b.length == 0 || !s.acceptAll(b)) {
                break;
            }
            out[n++] = next;
            if (!s.forcesNext()) {
                break; // past the forced text: what follows is the target's to choose
            }
        }
        return Arrays.copyOf(out, n);
    }

    void committed(OutputGrammar grammar, GrammarState state, int token) {
        if (state.forcesNext()) {
            seen.put(new MaskKey(grammar, state.key()), token);
        }
    }

    /**
     * The tokenizer's split of the forced text, its last token left out when it reaches the end of the text and
     * the output goes on (the target may merge those bytes with what follows into another token).
     */
    private int[] tokenizerSplit(GrammarState state) {
        byte[] f = state.forced(MAX_FORCED_BYTES);
        int end = f.length;
        while (end > 0 && (f[end - 1] & 0xC0) == 0x80) {
            end--; // back to the lead byte of a trailing UTF-8 sequence ...
        }
        if (end > 0 && (f[end - 1] & 0x80) != 0) {
            int lead = f[end - 1] & 0xff;
            int need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
            end = f.length - (end - 1) >= need ? f.length : end - 1; // ... cut only if it is incomplete
        }
        if (end == 0) {
            return NONE;
        }
        int[] ids = encoder.apply(new String(f, 0, end, StandardCharsets.UTF_8));
        GrammarState s = state.copy();
        int kept = 0;
        int used = 0;
        for (int id : ids) {
            byte[] b = masks.bytes(id);
            if (b == null || b.length == 0 || !s.acceptAll(b)) {
                break;
            }
            kept++;
            used += b.length;
        }
        if (kept > 0 && used == f.length && !s.complete()) {
            kept--;
        }
        return kept == 0 ? NONE : Arrays.copyOf(ids, kept);
    }
}
