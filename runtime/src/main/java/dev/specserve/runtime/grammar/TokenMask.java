package dev.specserve.runtime.grammar;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.util.function.Function;

/**
 * Which tokens may come next under an {@link OutputGrammar}: those whose bytes the grammar state accepts, and the EOS
 * ids once the output is complete (or when no token of the vocabulary can continue it, so that a vocabulary without
 * the byte a grammar needs ends the output instead of masking every token). Special tokens (no bytes) never. Masks
 * are computed once per grammar and state key and shared by every sequence of the model (a string's content, say,
 * does not change its key), bounded by bytes. Thread-safe.
 */
public final class TokenMask {
    /** Bytes of masks kept (one byte per vocabulary entry each): 64 MiB, or a sixteenth of the heap if less. */
    static final long MAX_CACHED_BYTES = Math.min(64L << 20, Runtime.getRuntime().maxMemory() / 16);
    private static final int[] NONE = new int[0];

    private final byte[][] tokenBytes;
    private final int[] eosIds;
    private final ForcedTokens forced;
    private final Cache<MaskKey, boolean[]> cache = Caffeine.newBuilder()
            .maximumWeight(MAX_CACHED_BYTES)
            .weigher((MaskKey k, boolean[] mask) -> mask.length)
            .build();

    /** A state of a grammar, as a cache key: by {@link OutputGrammar#cacheId}, never holding the grammar. */
    record MaskKey(long grammar, Object state) {
        MaskKey(OutputGrammar grammar, Object state) {
            this(grammar.cacheId(), state);
        }
    }

    /** @param tokenBytes each token id's bytes (null for special tokens), as {@code TextTokenizer.byteLevelVocab} */
    public TokenMask(byte[][] tokenBytes, int[] eosIds) {
        this(tokenBytes, eosIds, null);
    }

    /** @param encoder the model's tokenizer (text to ids, no special tokens), for {@link #forced}; null: no forced drafts */
    public TokenMask(byte[][] tokenBytes, int[] eosIds, Function<String, int[]> encoder) {
        this.tokenBytes = tokenBytes;
        this.eosIds = eosIds.clone();
        this.forced = encoder == null ? null : new ForcedTokens(this, encoder);
    }

    public int vocab() {
        return tokenBytes.length;
    }

    /** The bytes of {@code token}, or null for a special token. */
    public byte[] bytes(int token) {
        return token >= 0 && token < tokenBytes.length ? tokenBytes[token] : null;
    }

    /** Allowed[t] for every token after {@code state} of {@code grammar}; do not modify. */
    public boolean[] allowed(OutputGrammar grammar, GrammarState state) {
        return cache.get(new MaskKey(grammar, state.key()), k -> compute(state));
    }

    /** The tokens to draft for the text the grammar forces after {@code state} ({@link ForcedTokens}). */
    public int[] forced(OutputGrammar grammar, GrammarState state, int maxTokens) {
        return forced == null ? NONE : forced.chain(grammar, state, maxTokens);
    }

    /** The target committed {@code token} at {@code state} (before it): remembered where the grammar forces text. */
    public void committed(OutputGrammar grammar, GrammarState state, int token) {
        if (forced != null) {
            forced.committed(grammar, state, token);
        }
    }

    private boolean[] compute(GrammarState state) {
        boolean[] mask = new boolean[tokenBytes.length];
        boolean any = false;
        for (int t = 0; t < mask.length; t++) {
            byte[] b = tokenBytes[t];
            mask[t] = b != null && b.length > 0 && state.copy().acceptAll(b);
            any |= mask[t];
        }
        if (state.complete() || !any) {
            for (int e : eosIds) {
                if (e >= 0 && e < mask.length) {
                    mask[e] = true;
                }
            }
        }
        return mask;
    }
}
