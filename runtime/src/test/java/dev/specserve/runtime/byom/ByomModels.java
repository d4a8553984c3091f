package dev.specserve.runtime.byom;

import java.net.URISyntaxException;
import java.nio.file.Path;

/**
 * The exported fixture checkpoints committed under src/test/resources/byom (tiny, randomly initialised), made by
 * {@code /usr/bin/python3 models/toolchain/hf_fixtures.py --out /tmp/hf-fixtures --export runtime/src/test/resources/byom}.
 */
public final class ByomModels {
    /** The tree-contract exports: Llama GQA + untied head + head_dim != dim/heads, Qwen2 with bias + tied, GPT-2. */
    public static final String[] TREE = {"llama-gqa", "qwen2-tied", "gpt2"};
    /** The Llama fixture's Optimum-contract export (model.onnx, no manifest until imported). */
    public static final String OPTIMUM = "llama-gqa-optimum";

    private ByomModels() {}

    public static Path dir(String name) {
        try {
            return Path.of(ByomModels.class.getResource("/byom/" + name + "/config.json").toURI()).getParent();
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("test resource byom/" + name + " is missing", e);
        }
    }
}
