package dev.specserve.runtime.manifest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.specserve.runtime.kv.KvLayout;
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
    /** The manifest format this runtime reads; a manifest without {@code format} is taken to be this one. */
    public static final String FORMAT = "specserve-manifest/1";

    private ManifestLoader() {}

    public static ModelManifest load(Path directory) {
        Path file = directory.resolve("manifest.json");
        if (!Files.isRegularFile(file)) {
            throw new ManifestException("model manifest not found: " + file.toAbsolutePath() + " (" + ManifestChecks.howToMake(directory)
                    + ")");
        }
        Map<String, Object> raw;
        try {
            raw = JSON.readValue(file.toFile(), new TypeReference<>() {});
        } catch (JsonProcessingException e) {
            throw new ManifestException("manifest " + file + " is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new ManifestException("cannot read manifest " + file + ": " + e.getMessage(), e);
        }
        ManifestFields root = new ManifestFields(raw, "manifest");
        if (root.has("format") && !FORMAT.equals(root.string("format"))) {
            throw new ManifestException("manifest " + file + ": format '" + root.string("format") + "' is not one this "
                    + "runtime reads (" + FORMAT + ")");
        }
        Map<String, Object> checksums = root.object("sha256").map();
        ManifestFields tok = root.object("tokenizer");
        ManifestFields target = root.object("target");
        ManifestFields targetCfg = target.object("config");
        int eosId = tok.integer("eos_id");
        var tokenizer = new ModelManifest.TokenizerInfo(
                verifiedFile(directory, tok.string("file"), checksums),
                tok.integer("vocab_size"), eosId, tok.string("eos_token"),
                tok.has("eos_ids") ? tok.ints("eos_ids") : new int[] {eosId});
        int heads = targetCfg.integer("heads");
        var targetInfo = new ModelManifest.TargetInfo(
                verifiedFile(directory, target.string("file"), checksums),
                target.integer("context_length"), targetCfg.integer("vocab"), targetCfg.integer("dim"),
                targetCfg.integer("layers"), heads, targetCfg.has("kv_heads") ? targetCfg.integer("kv_heads") : heads,
                targetCfg.integer("head_dim"), contract(target), kvLayout(target),
                target.object("io").tensors("inputs"), target.object("io").tensors("outputs"),
                target.has("ragged") ? verifiedFile(directory, target.object("ragged").string("file"), checksums) : null);
        if (targetInfo.vocab() != tokenizer.vocabSize()) {
            throw new ManifestException("manifest: target vocab " + targetInfo.vocab()
                    + " differs from tokenizer vocab_size " + tokenizer.vocabSize());
        }
        ManifestChecks.requireSensibleSizes(targetInfo, tokenizer);
        ManifestChecks.requirePastLayout(targetInfo);
        ManifestChecks.requireLayers(targetInfo);
        if (heads % targetInfo.kvHeads() != 0) {
            throw new ManifestException("manifest: target heads " + heads + " is not a multiple of kv_heads "
                    + targetInfo.kvHeads());
        }
        ModelManifest.DrafterInfo drafterInfo = root.has("drafter")
                ? drafter(directory, root.object("drafter"), checksums, targetInfo.vocab()) : null;
        if (drafterInfo != null && drafterInfo.dim() != targetInfo.dim()) {
            throw new ManifestException("manifest: drafter dim " + drafterInfo.dim()
                    + " differs from target dim " + targetInfo.dim() + " (the drafter reads target hidden states)");
        }
        if (drafterInfo != null && targetInfo.contract() != ModelManifest.Contract.TREE) {
            throw new ManifestException("manifest: a drafter needs the tree contract's hidden states; this target is "
                    + targetInfo.contract());
        }
        Path lmHead = root.has("lm_head") ? verifiedFile(directory, root.object("lm_head").string("file"), checksums) : null;
        Path golden = root.has("golden") ? verifiedFile(directory, root.object("golden").string("file"), checksums) : null;
        Path lookup = root.has("lookup") ? verifiedFile(directory, root.object("lookup").string("file"), checksums) : null;
        ModelManifest manifest = new ModelManifest(directory, root.string("name"), tokenizer, targetInfo, drafterInfo,
                lmHead, golden, lookup, raw);
        verifyTheRest(directory, checksums, manifest);
        return manifest;
    }

    /**
     * Every other file the manifest records a sha256 for (external weight data, tokenizer_config.json with the chat
     * template, generation_config.json) is checked too: a corrupt weights file would otherwise load and serve
     * wrong output.
     */
    private static void verifyTheRest(Path directory, Map<String, Object> checksums, ModelManifest m) {
        java.util.Set<Path> typed = new java.util.HashSet<>();
        for (Path p : new Path[] {m.tokenizer().file(), m.target().file(), m.target().ragged(), m.lmHead(), m.golden(),
                m.lookupCorpus(),
                m.drafter() == null ? null : m.drafter().file(), m.drafter() == null ? null : m.drafter().int8File()}) {
            if (p != null) {
                typed.add(p.normalize());
            }
        }
        for (String name : checksums.keySet()) {
            if (!typed.contains(directory.resolve(name).normalize())) {
                verifiedFile(directory, name, checksums);
            }
        }
    }

    private static KvLayout kvLayout(ManifestFields target) {
        try {
            return target.has("past_layout") ? KvLayout.parse(target.string("past_layout")) : KvLayout.BSHD;
        } catch (IllegalArgumentException e) {
            throw new ManifestException("manifest: target.past_layout: " + e.getMessage());
        }
    }

    private static ModelManifest.Contract contract(ManifestFields target) {
        String c = target.has("contract") ? target.string("contract") : "tree";
        return switch (c) {
            case "tree" -> ModelManifest.Contract.TREE;
            case "optimum" -> ModelManifest.Contract.OPTIMUM;
            default -> throw new ManifestException("manifest field 'manifest.target.contract' must be tree or optimum, got '"
                    + c + "'");
        };
    }

    private static ModelManifest.DrafterInfo drafter(Path directory, ManifestFields drafter, Map<String, Object> checksums,
                                                     int targetVocab) {
        ManifestFields cfg = drafter.object("config");
        return new ModelManifest.DrafterInfo(
                verifiedFile(directory, drafter.string("file"), checksums),
                drafter.integer("block_size"), drafter.integer("topk"), drafter.integer("adapter_rank"),
                cfg.integer("dim"), cfg.integer("layers"), cfg.integer("heads"),
                cfg.integer("head_dim"), cfg.integer("max_pos"),
                drafter.object("io").tensors("inputs"), drafter.object("io").tensors("outputs"),
                DraftVocabulary.fromJson(drafter.map().get("draft_to_target"), targetVocab),
                drafter.has("int8") ? verifiedFile(directory, drafter.object("int8").string("file"), checksums) : null);
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
}
