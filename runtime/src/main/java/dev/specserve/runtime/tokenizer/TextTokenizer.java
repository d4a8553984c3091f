package dev.specserve.runtime.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.specserve.runtime.SpecserveHome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The model's Hugging Face {@code tokenizer.json}, through DJL's native binding, fully offline.
 * DJL copies its native library into a cache dir; that dir is kept under the project's data dir.
 */
public final class TextTokenizer implements AutoCloseable {
    private final HuggingFaceTokenizer tokenizer;
    /** Native calls hold the read lock; {@link #close} takes the write lock (see {@link #guarded}). */
    private final java.util.concurrent.locks.ReentrantReadWriteLock use = new java.util.concurrent.locks.ReentrantReadWriteLock();
    private boolean closed; // under use
    private final int[] eosIds;
    private final int maxTokenBytes;
    private final Path json;
    /** {@link #byteLevelVocab(int)}, read on first use (only JSON-mode requests need it). */
    private volatile java.util.Optional<byte[][]> byteVocab;
    /** {@link #tokenBytes}' table, over every id of the tokenizer; empty where it is not byte-level. */
    private volatile byte[][] ownBytes;

    private TextTokenizer(HuggingFaceTokenizer tokenizer, int[] eosIds, int maxTokenBytes, Path json) {
        this.json = json;
        this.tokenizer = tokenizer;
        this.eosIds = eosIds.clone();
        this.maxTokenBytes = maxTokenBytes;
    }

    public static TextTokenizer load(Path tokenizerJson, int eosId) {
        return load(tokenizerJson, new int[] {eosId});
    }

    /** @param eosIds every id that ends generation (HF generation_config may list several); the first is {@link #eosId()} */
    public static TextTokenizer load(Path tokenizerJson, int[] eosIds) {
        if (eosIds.length == 0) {
            throw new IllegalArgumentException("a tokenizer needs at least one EOS id");
        }
        configureNativeCache();
        try {
            var tok = HuggingFaceTokenizer.newInstance(tokenizerJson,
                    Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
            return new TextTokenizer(tok, eosIds, maxTokenBytes(tokenizerJson), tokenizerJson);
        } catch (IOException | RuntimeException e) { // the tokenizers library reports a malformed file unchecked
            throw new IllegalStateException("cannot load tokenizer " + tokenizerJson + ": " + e.getMessage(), e);
        }
    }

    private static void configureNativeCache() {
        Path cache = SpecserveHome.dataDir().resolve("djl-cache");
        try {
            Files.createDirectories(cache);
        } catch (IOException e) {
            throw new IllegalStateException("cannot create tokenizer cache dir " + cache + ": " + e.getMessage(), e);
        }
        if (System.getenv("DJL_CACHE_DIR") == null && System.getProperty("DJL_CACHE_DIR") == null) {
            System.setProperty("DJL_CACHE_DIR", cache.toString());
        }
        if (System.getenv("ENGINE_CACHE_DIR") == null && System.getProperty("ENGINE_CACHE_DIR") == null) {
            System.setProperty("ENGINE_CACHE_DIR", cache.toString());
        }
        System.setProperty("offline", "true");
    }

    /**
     * An upper bound on the UTF-8 bytes of text one token can cover, from the vocabulary (model vocab and added
     * tokens) of {@code tokenizer.json}: the longest entry's UTF-8 length. For byte-level BPE each vocab char
     * stands for one byte, so its UTF-8 length is at least the bytes it covers; for other vocabularies the entry
     * is the text itself (unless an unknown-token can stand for a whole word: then there is no bound). A normalizer could shrink text before tokenization (composition), so the bound is
     * then multiplied by 4. {@link Integer#MAX_VALUE} when the vocabulary cannot be read (no bound).
     */
    static int maxTokenBytes(Path tokenizerJson) {
        try {
            com.fasterxml.jackson.databind.JsonNode root = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(tokenizerJson.toFile());
            com.fasterxml.jackson.databind.JsonNode vocab = root.path("model").path("vocab");
            com.fasterxml.jackson.databind.JsonNode unk = root.path("model").get("unk_token");
            if (unk != null && !unk.isNull() && !root.path("model").path("byte_fallback").asBoolean(false)) {
                return Integer.MAX_VALUE; // an unknown-token can stand for any amount of text: no bound
            }
            int max = 0;
            java.util.Iterator<String> names = vocab.isObject() ? vocab.fieldNames() : java.util.Collections.emptyIterator();
            while (names.hasNext()) {
                max = Math.max(max, names.next().getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
            }
            if (vocab.isArray()) { // Unigram: [[piece, score], ...]
                for (com.fasterxml.jackson.databind.JsonNode e : vocab) {
                    max = Math.max(max, e.path(0).asText().getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
                }
            }
            for (com.fasterxml.jackson.databind.JsonNode t : root.path("added_tokens")) {
                max = Math.max(max, t.path("content").asText().getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
            }
            if (max == 0) {
                return Integer.MAX_VALUE;
            }
            com.fasterxml.jackson.databind.JsonNode normalizer = root.get("normalizer");
            return normalizer == null || normalizer.isNull() ? max : max * 4;
        } catch (IOException | RuntimeException e) {
            return Integer.MAX_VALUE;
        }
    }

    /**
     * The highest id of {@code tokenizer.json}'s model vocabulary, or -1 when it cannot be read; checked against
     * the model's vocabulary when a manifest is loaded. Added tokens are left out: a fine-tune may add a pad
     * token past the embedding without resizing it, and such an id fails only if a request uses it.
     */
    public static int highestId(Path tokenizerJson) {
        try {
            com.fasterxml.jackson.databind.JsonNode root = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(tokenizerJson.toFile());
            com.fasterxml.jackson.databind.JsonNode vocab = root.path("model").path("vocab");
            int max = -1;
            if (vocab.isObject()) {
                for (com.fasterxml.jackson.databind.JsonNode id : vocab) {
                    max = Math.max(max, id.asInt(-1));
                }
            } else if (vocab.isArray()) { // Unigram: the id is the position
                max = vocab.size() - 1;
            }
            return max;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** See {@link #maxTokenBytes(Path)}: text of more UTF-8 bytes than this times N tokenizes to more than N tokens. */
    public int maxTokenBytes() {
        return maxTokenBytes;
    }

    /**
     * Token ids of a prompt, with the special tokens the tokenizer's own post-processor adds (a Llama
     * {@code tokenizer.json} puts BOS in front, as Hugging Face's {@code tokenizer(text)} and vLLM's completions
     * do; the demo tokenizer adds none). When the text itself already begins with that token (a chat template
     * that writes {@code bos_token}), the added copy is dropped, so a prompt never starts with two.
     */
    public int[] encode(String text) {
        return encode(text, true);
    }

    /**
     * {@link #encode(String)}, or with {@code addSpecialTokens} false the text's own tokens only (Hugging Face's
     * {@code add_special_tokens=False}, which vLLM's {@code /tokenize} takes).
     */
    public int[] encode(String text, boolean addSpecialTokens) {
        long[] ids = guarded(() -> tokenizer.encode(text, addSpecialTokens, false).getIds());
        int from = 0;
        if (addSpecialTokens && ids.length >= 2 && ids[0] == ids[1] && isAddedSpecial(ids[0], text)) {
            from = 1;
        }
        int[] out = new int[ids.length - from];
        for (int i = from; i < ids.length; i++) {
            out[i - from] = (int) ids[i];
        }
        return out;
    }

    /** True when the text does not itself start with two copies of token {@code id}: the first one was added. */
    private boolean isAddedSpecial(long id, String text) {
        long[] raw = guarded(() -> tokenizer.encode(text, false, false).getIds());
        return raw.length == 0 || raw[0] != id || raw.length < 2 || raw[1] != id;
    }

    public String decode(int[] ids) {
        return decode(ids, true);
    }

    /** The text of {@code ids}; with {@code skipSpecialTokens} false, special tokens are written out too. */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        return guarded(() -> tokenizer.decode(l, skipSpecialTokens));
    }

    /** Each token's bytes, or null when this tokenizer is not byte-level: see {@link VocabBytes#byteLevel(Path, int)}. */
    public byte[][] byteLevelVocab(int size) {
        java.util.Optional<byte[][]> v = byteVocab;
        if (v == null) {
            v = java.util.Optional.ofNullable(VocabBytes.byteLevel(json, size));
            byteVocab = v;
        }
        return v.orElse(null);
    }

    /**
     * Token {@code id}'s own bytes, as OpenAI's logprob {@code bytes} carry them: for a byte-level BPE token its
     * vocabulary bytes (so the pieces of a multi-byte character, which decode to U+FFFD each, join back into it);
     * for a SentencePiece-style vocabulary ({@link VocabBytes#pieces}) a byte-fallback piece's byte and a word piece's text
     * with its leading space; otherwise, or for an added token, the UTF-8 of {@code text}, its text on its own.
     */
    public byte[] tokenBytes(int id, String text) {
        byte[][] v = ownBytes;
        if (v == null) {
            int size = VocabBytes.idBound(json);
            v = java.util.Objects.requireNonNullElseGet(VocabBytes.byteLevel(json, size),
                    () -> java.util.Objects.requireNonNullElse(VocabBytes.pieces(json, size), new byte[0][]));
            ownBytes = v;
        }
        return id >= 0 && id < v.length && v[id] != null ? v[id] : text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The text of token {@code id} itself, special tokens included (an EOS id gives, e.g., {@code <|endoftext|>}). */
    public String tokenText(int id) {
        return guarded(() -> tokenizer.decode(new long[] {id}, false));
    }

    public boolean isEos(int token) {
        for (int e : eosIds) {
            if (e == token) {
                return true;
            }
        }
        return false;
    }

    public int[] eosIds() {
        return eosIds.clone();
    }

    public int eosId() {
        return eosIds[0];
    }

    /**
     * Runs a call into the native tokenizer, which {@link #close} frees: workers may still be tokenizing while a
     * server shuts down, and a call on freed memory crashes the JVM. After close, calls are refused.
     */
    private <T> T guarded(java.util.function.Supplier<T> call) {
        java.util.concurrent.locks.Lock r = use.readLock();
        r.lock();
        try {
            if (closed) {
                throw new IllegalStateException("the tokenizer is closed: the models were unloaded (shutting down)");
            }
            return call.get();
        } finally {
            r.unlock();
        }
    }

    /** Frees the native tokenizer once the calls in progress have returned. */
    @Override
    public void close() {
        java.util.concurrent.locks.Lock w = use.writeLock();
        w.lock();
        try {
            if (!closed) {
                closed = true;
                tokenizer.close();
            }
        } finally {
            w.unlock();
        }
    }
}
