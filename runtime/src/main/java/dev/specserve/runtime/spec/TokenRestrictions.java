package dev.specserve.runtime.spec;

import dev.specserve.runtime.tokenizer.TextTokenizer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * vLLM's restrictions on what may be generated, applied to the target's logits like {@code logit_bias}, so
 * verification stays lossless against the restricted distribution:
 * {@code allowed_token_ids} masks every other token; {@code bad_words} masks a word's last token wherever the
 * output so far (and, in a draft tree, the row's path) ends with the word's other tokens.
 *
 * @param allowedTokenIds the only tokens that may be generated; empty for all
 * @param badWords        words never to generate; each is tokenized as vLLM does ({@link #badWordIds})
 */
public record TokenRestrictions(Set<Integer> allowedTokenIds, List<String> badWords) {
    public static final TokenRestrictions NONE = new TokenRestrictions(Set.of(), List.of());
    public static final int MAX_BAD_WORDS = 128;
    public static final int MAX_BAD_WORD_CHARS = 256;

    public TokenRestrictions {
        for (Integer id : allowedTokenIds == null ? Set.<Integer>of() : allowedTokenIds) {
            if (id == null || id < 0) {
                throw new InvalidRequestException("allowed_token_ids", "allowed_token_ids must be token ids >= 0, got "
                        + id);
            }
        }
        allowedTokenIds = allowedTokenIds == null ? Set.of() : Collections.unmodifiableSet(new TreeSet<>(allowedTokenIds));
        badWords = badWords == null ? List.of() : List.copyOf(badWords);
        if (badWords.size() > MAX_BAD_WORDS) {
            throw new InvalidRequestException("bad_words", "at most " + MAX_BAD_WORDS + " bad_words, got "
                    + badWords.size());
        }
        for (String w : badWords) {
            if (w.isBlank() || w.length() > MAX_BAD_WORD_CHARS) {
                throw new InvalidRequestException("bad_words", "bad_words entries must be non-blank strings of at most "
                        + MAX_BAD_WORD_CHARS + " characters, got \"" + (w.length() > 40 ? w.substring(0, 40) + "..." : w)
                        + "\"");
            }
        }
    }

    public boolean isEmpty() {
        return allowedTokenIds.isEmpty() && badWords.isEmpty();
    }

    /**
     * The token sequences to ban, as vLLM derives them: each word with leading whitespace stripped, and again
     * after a space (the word in the middle of text) when that gives a different first token and as many tokens.
     */
    public int[][] badWordIds(TextTokenizer tokenizer) {
        List<int[]> out = new ArrayList<>();
        for (String word : badWords) {
            String bare = word.stripLeading();
            int[] alone = tokenizer.encode(bare, false);
            if (alone.length == 0) {
                continue;
            }
            out.add(alone);
            int[] spaced = tokenizer.encode(" " + bare, false);
            if (spaced.length == alone.length && spaced[0] != alone[0]) {
                out.add(spaced);
            }
        }
        return out.toArray(int[][]::new);
    }

    /**
     * Refuses allowed ids outside the vocabulary, and restrictions that leave a row nothing to generate: allowed ids
     * that {@code bad_words}, or {@code min_tokens} (which masks EOS and the stop ids), mask all of; or allowed ids
     * with structured output, whose grammar could want only tokens outside them.
     */
    void check(int vocab, SamplingParams params, TextTokenizer tokenizer) {
        if (allowedTokenIds.isEmpty()) {
            return;
        }
        for (int id : allowedTokenIds) {
            if (id >= vocab) {
                throw new InvalidRequestException("allowed_token_ids", "allowed_token_ids holds token id " + id
                        + ", outside the vocabulary [0, " + vocab + ")");
            }
        }
        if (params.grammar() != null) {
            throw new InvalidRequestException("allowed_token_ids", "allowed_token_ids cannot be combined with "
                    + "structured output (" + params.grammar().field() + "): the grammar could need a token outside them");
        }
        Set<Integer> left = new TreeSet<>(allowedTokenIds);
        for (int[] w : badWordIds(tokenizer)) {
            if (w.length == 1) {
                left.remove(w[0]);
            }
        }
        if (left.isEmpty()) {
            throw new InvalidRequestException("bad_words", "bad_words ban every one of allowed_token_ids");
        }
        if (params.stopping().minTokens() > 0) {
            for (int eos : tokenizer.eosIds()) {
                left.remove(eos);
            }
            left.removeAll(params.stopping().tokenIds());
            if (left.isEmpty()) {
                throw new InvalidRequestException("allowed_token_ids", "allowed_token_ids holds only EOS and stop "
                        + "tokens, which min_tokens masks until the output is long enough");
            }
        }
    }

    @Override
    public String toString() {
        return "TokenRestrictions[allowed=" + allowedTokenIds.size() + " ids, badWords=" + badWords + "]";
    }
}
