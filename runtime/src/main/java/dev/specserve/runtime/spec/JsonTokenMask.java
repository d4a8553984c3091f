package dev.specserve.runtime.spec;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Which tokens may come next under JSON mode: those whose bytes a {@link JsonObjectGrammar} state accepts, and
 * the EOS ids once the object is complete (or when no token of the vocabulary can continue it). Special tokens (no bytes) never. Masks are computed once per grammar
 * state key and shared by every sequence of the model (a string's content, say, does not change its state key).
 * Thread-safe.
 */
public final class JsonTokenMask {
    /** Masks kept; beyond, the cache starts over (states repeat, so it refills with the common ones). */
    static final int MAX_CACHED = 4096;

    private final byte[][] tokenBytes;
    private final int[] eosIds;
    private final ConcurrentHashMap<String, boolean[]> cache = new ConcurrentHashMap<>();

    /** @param tokenBytes each token id's bytes (null for special tokens), as {@code TextTokenizer.byteLevelVocab} */
    public JsonTokenMask(byte[][] tokenBytes, int[] eosIds) {
        this.tokenBytes = tokenBytes;
        this.eosIds = eosIds.clone();
    }

    public int vocab() {
        return tokenBytes.length;
    }

    /** The bytes of {@code token}, or null for a special token. */
    byte[] bytes(int token) {
        return token >= 0 && token < tokenBytes.length ? tokenBytes[token] : null;
    }

    /** Allowed[t] for every token after {@code state}; do not modify. */
    boolean[] allowed(JsonObjectGrammar state) {
        String key = state.stateKey();
        boolean[] mask = cache.get(key);
        if (mask == null) {
            mask = compute(state);
            if (cache.size() >= MAX_CACHED) {
                cache.clear();
            }
            cache.put(key, mask);
        }
        return mask;
    }

    private boolean[] compute(JsonObjectGrammar state) {
        boolean[] mask = new boolean[tokenBytes.length];
        JsonObjectGrammar scratch = new JsonObjectGrammar();
        for (int t = 0; t < mask.length; t++) {
            byte[] b = tokenBytes[t];
            mask[t] = b != null && b.length > 0 && scratch.set(state).acceptAll(b);
        }
        boolean any = false;
        for (boolean m : mask) {
            any |= m;
        }
        if (state.complete() || !any) { // a vocabulary without the byte the grammar needs ends the output, not NaN
            for (int e : eosIds) {
                if (e >= 0 && e < mask.length) {
                    mask[e] = true;
                }
            }
        }
        return mask;
    }
}
