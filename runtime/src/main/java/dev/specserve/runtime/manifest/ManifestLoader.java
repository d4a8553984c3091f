package dev.specserve.runtime.manifest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/** Reads {@code manifest.json}, checks that every file exists with the recorded sha256, and types the fields. */
public final class ManifestLoader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ManifestLoader() {}

    public static ModelManifest load(Path directory) {
        Path file = directory.resolve("manifest.json");
        if (!Files.isRegularFile(file)) {
            throw new ManifestException("model manifest not found: " + file.toAbsolutePath()
                    + " (build the demo models with models/build-demo.sh, or point --models at a model directory)");
        }
        Map<String, Object> raw;
        try {
            raw = JSON.readValue(file.toFile(), new TypeReference<>() {});
        } catch (JsonProcessingException e) {
            throw new ManifestException("manifest " + file + " is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new ManifestException("cannot read manifest " + file + ": " + e.getMessage(), e);
        }
        Fields root = new Fields(raw, "manifest");
        Map<String, Object> checksums = root.object("sha256").map;
        Fields tok = root.object("tokenizer");
        Fields target = root.object("target");
        Fields targetCfg = target.object("config");
        Fields drafter = root.object("drafter");
        Fields drafterCfg = drafter.object("config");
        var tokenizer = new ModelManifest.TokenizerInfo(
                verifiedFile(directory, tok.string("file"), checksums),
                tok.integer("vocab_size"), tok.integer("eos_id"), tok.string("eos_token"));
        var targetInfo = new ModelManifest.TargetInfo(
                verifiedFile(directory, target.string("file"), checksums),
                target.integer("context_length"), targetCfg.integer("vocab"), targetCfg.integer("dim"),
                targetCfg.integer("layers"), targetCfg.integer("heads"), targetCfg.integer("head_dim"),
                target.object("io").tensors("inputs"), target.object("io").tensors("outputs"));
        var drafterInfo = new ModelManifest.DrafterInfo(
                verifiedFile(directory, drafter.string("file"), checksums),
                drafter.integer("block_size"), drafter.integer("topk"), drafter.integer("adapter_rank"),
                drafterCfg.integer("dim"), drafterCfg.integer("layers"), drafterCfg.integer("heads"),
                drafterCfg.integer("head_dim"), drafterCfg.integer("max_pos"),
                drafter.object("io").tensors("inputs"), drafter.object("io").tensors("outputs"),
                DraftVocabulary.fromJson(drafter.map().get("draft_to_target"), targetCfg.integer("vocab")));
        if (targetInfo.vocab() != tokenizer.vocabSize()) {
            throw new ManifestException("manifest: target vocab " + targetInfo.vocab()
                    + " differs from tokenizer vocab_size " + tokenizer.vocabSize());
        }
        if (drafterInfo.dim() != targetInfo.dim()) {
            throw new ManifestException("manifest: drafter dim " + drafterInfo.dim()
                    + " differs from target dim " + targetInfo.dim() + " (the drafter reads target hidden states)");
        }
        Path lmHead = verifiedFile(directory, root.object("lm_head").string("file"), checksums);
        Path golden = verifiedFile(directory, root.object("golden").string("file"), checksums);
        return new ModelManifest(directory, root.string("name"), tokenizer, targetInfo, drafterInfo, lmHead, golden, raw);
    }

    private static Path verifiedFile(Path dir, String name, Map<String, Object> checksums) {
        Path p = dir.resolve(name);
        if (!Files.isRegularFile(p)) {
            throw new ManifestException("manifest names file '" + name + "' but " + p + " does not exist");
        }
        Object expected = checksums.get(name);
        if (expected == null) {
            throw new ManifestException("manifest has no sha256 entry for '" + name + "'");
        }
        String actual = sha256(p);
        if (!actual.equalsIgnoreCase(expected.toString())) {
            throw new ManifestException("sha256 mismatch for '" + name + "': manifest says " + expected
                    + ", file has " + actual);
        }
        return p;
    }

    /** Hex SHA-256 of a file. */
    public static String sha256(Path p) {
        try (InputStream in = new DigestInputStream(Files.newInputStream(p), MessageDigest.getInstance("SHA-256"))) {
            MessageDigest md = ((DigestInputStream) in).getMessageDigest();
            in.transferTo(OutputStreamSink.INSTANCE);
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new ManifestException("cannot hash " + p + ": " + e.getMessage(), e);
        }
    }

    private static final class OutputStreamSink extends java.io.OutputStream {
        static final OutputStreamSink INSTANCE = new OutputStreamSink();

        @Override
        public void write(int b) {}

        @Override
        public void write(byte[] b, int off, int len) {}
    }

    /** Typed access to a JSON object with errors that name the missing or mistyped field. */
    private record Fields(Map<String, Object> map, String path) {
        Object required(String key) {
            Object v = map.get(key);
            if (v == null) {
                throw new ManifestException("manifest field '" + path + "." + key + "' is missing");
            }
            return v;
        }

        String string(String key) {
            Object v = required(key);
            if (!(v instanceof String s)) {
                throw new ManifestException("manifest field '" + path + "." + key + "' must be a string");
            }
            return s;
        }

        int integer(String key) {
            Object v = required(key);
            if (!(v instanceof Integer i)) {
                throw new ManifestException("manifest field '" + path + "." + key + "' must be an integer, got " + v);
            }
            return i;
        }

        @SuppressWarnings("unchecked")
        Fields object(String key) {
            Object v = required(key);
            if (!(v instanceof Map)) {
                throw new ManifestException("manifest field '" + path + "." + key + "' must be an object");
            }
            return new Fields((Map<String, Object>) v, path + "." + key);
        }

        @SuppressWarnings("unchecked")
        List<TensorSpec> tensors(String key) {
            Object v = required(key);
            if (!(v instanceof List<?> list)) {
                throw new ManifestException("manifest field '" + path + "." + key + "' must be a list of tensors");
            }
            List<TensorSpec> out = new ArrayList<>();
            for (Object o : list) {
                Fields t = new Fields((Map<String, Object>) o, path + "." + key + "[" + out.size() + "]");
                out.add(new TensorSpec(t.string("name"), (List<Object>) t.required("shape"), t.string("dtype")));
            }
            return out;
        }
    }
}
