package dev.specserve.runtime.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
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
    private final int eosId;

    private TextTokenizer(HuggingFaceTokenizer tokenizer, int eosId) {
        this.tokenizer = tokenizer;
        this.eosId = eosId;
    }

    public static TextTokenizer load(Path tokenizerJson, int eosId) {
        configureNativeCache();
        try {
            var tok = HuggingFaceTokenizer.newInstance(tokenizerJson,
                    Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
            return new TextTokenizer(tok, eosId);
        } catch (IOException e) {
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

    public int[] encode(String text) {
        Encoding e = tokenizer.encode(text, false, false);
        long[] ids = e.getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = (int) ids[i];
        }
        return out;
    }

    public String decode(int[] ids) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        return tokenizer.decode(l, true);
    }

    public int eosId() {
        return eosId;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
