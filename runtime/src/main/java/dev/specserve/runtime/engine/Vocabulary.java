package dev.specserve.runtime.engine;

import dev.specserve.runtime.spec.InvalidRequestException;
import dev.specserve.runtime.tokenizer.TextTokenizer;

/**
 * The served model's tokens as clients see them (vLLM's {@code /tokenize}, {@code /detokenize} and
 * {@code /tokenizer_info}, and token-id prompts): text to ids and back, checked against the model's vocabulary.
 * Thread-safe.
 */
public final class Vocabulary {
    private final TextTokenizer tokenizer;
    private final int size;

    Vocabulary(TextTokenizer tokenizer, int size) {
        this.tokenizer = tokenizer;
        this.size = size;
    }

    /**
     * The ids of {@code text}, as a prompt is tokenized; without {@code addSpecialTokens}, the text's own tokens
     * only (no BOS a tokenizer's post-processor would add).
     */
    public int[] tokenize(String text, boolean addSpecialTokens) {
        return tokenizer.encode(text, addSpecialTokens);
    }

    /** The text of {@code ids}; an id outside the vocabulary is an {@link InvalidRequestException} naming {@code tokens}. */
    public String detokenize(int[] ids) {
        for (int id : ids) {
            check(id);
        }
        return tokenizer.decode(ids);
    }

    /** The text of token {@code id} itself, special tokens included (the EOS id gives, e.g., {@code <|endoftext|>}). */
    public String tokenText(int id) {
        check(id);
        return tokenizer.tokenText(id);
    }

    /** The ids that end generation; the first is the model's EOS token. */
    public int[] eosIds() {
        return tokenizer.eosIds();
    }

    /** Token ids run from 0 to this, exclusive. */
    public int size() {
        return size;
    }

    private void check(int id) {
        if (id < 0 || id >= size) {
            throw new InvalidRequestException("tokens", "token id " + id + " is outside the vocabulary [0, " + size + ")");
        }
    }
}
