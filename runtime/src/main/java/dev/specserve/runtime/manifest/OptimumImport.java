package dev.specserve.runtime.manifest;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.specserve.runtime.ort.ExecutionDevice;
import dev.specserve.runtime.ort.SessionFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Turns an {@code optimum-cli export onnx --task text-generation-with-past} directory into a specserve model
 * directory: the ONNX file and tokenizer files are copied unchanged, and a manifest is written from the
 * graph's own I/O plus {@code config.json}. Everything is written into a temporary sibling of OUT and renamed
 * at the end, so a refused import leaves nothing behind.
 */
public final class OptimumImport {
    static final List<String> GRAPHS = List.of("decoder_model_merged.onnx", "model.onnx");
    static final List<String> SIDE_FILES = List.of("tokenizer.json", "tokenizer_config.json", "chat_template.jinja",
            "generation_config.json", "special_tokens_map.json", "config.json");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private OptimumImport() {}

    /** Imports {@code src} into {@code out} (which must not exist or be empty); returns out. */
    public static Path run(Path src, Path out) {
        if (!Files.isDirectory(src)) {
            throw new ManifestException("import-optimum: " + src + " is not a directory");
        }
        String graph = GRAPHS.stream().filter(g -> Files.isRegularFile(src.resolve(g))).findFirst()
                .orElseThrow(() -> new ManifestException("import-optimum: " + src + " has neither " + String.join(" nor ", GRAPHS)
                        + " (export with optimum-cli export onnx --task text-generation-with-past)"));
        for (String required : List.of("config.json", "tokenizer.json")) {
            if (!Files.isRegularFile(src.resolve(required))) {
                throw new ManifestException("import-optimum: " + src + " has no " + required);
            }
        }
        try {
            if (Files.exists(out) && !isEmptyDir(out)) {
                throw new ManifestException("import-optimum: " + out + " exists and is not empty");
            }
            Path parent = out.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Path tmp = Files.createTempDirectory(parent, ".import-optimum-");
            try {
                Map<String, Object> manifest = manifest(src, graph);
                Map<String, String> sha = new LinkedHashMap<>();
                for (Path f : filesToCopy(src, graph)) {
                    Path copy = tmp.resolve(f.getFileName().toString());
                    Files.copy(f, copy, StandardCopyOption.COPY_ATTRIBUTES);
                    sha.put(copy.getFileName().toString(), ManifestLoader.sha256(copy));
                }
                manifest.put("sha256", sha);
                JSON.writeValue(tmp.resolve("manifest.json").toFile(), manifest);
                Files.deleteIfExists(out);
                Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
            } catch (RuntimeException | IOException e) {
                deleteTree(tmp);
                throw e;
            }
            ManifestLoader.load(out);
            return out;
        } catch (IOException e) {
            throw new ManifestException("import-optimum: " + e.getMessage(), e);
        }
    }

    private static List<Path> filesToCopy(Path src, String graph) throws IOException {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.list(src)) {
            s.filter(Files::isRegularFile).forEach(f -> {
                String n = f.getFileName().toString();
                if (n.equals(graph) || n.startsWith(graph + "_data") || n.startsWith(graph + ".data")
                        || SIDE_FILES.contains(n)) {
                    files.add(f);
                }
            });
        }
        return files;
    }

    private static Map<String, Object> manifest(Path src, String graph) throws IOException {
        JsonNode cfg = JSON.readTree(src.resolve("config.json").toFile());
        Path genFile = src.resolve("generation_config.json");
        JsonNode gen = Files.isRegularFile(genFile) ? JSON.readTree(genFile.toFile()) : JSON.createObjectNode();
        int dim = integer(cfg, "hidden_size", "n_embd");
        int heads = integer(cfg, "num_attention_heads", "n_head");
        int vocab = integer(cfg, "vocab_size");
        int maxPos = integer(cfg, "max_position_embeddings", "n_positions");
        List<Integer> eos = new ArrayList<>();
        for (JsonNode n : List.of(gen.path("eos_token_id"), cfg.path("eos_token_id"))) {
            for (JsonNode e : n.isArray() ? n : List.of(n)) {
                if (e.isInt() && !eos.contains(e.asInt())) {
                    eos.add(e.asInt());
                }
            }
        }
        if (eos.isEmpty()) {
            throw new ManifestException("import-optimum: config.json / generation_config.json have no eos_token_id");
        }
        List<Map<String, Object>> inputs = new ArrayList<>();
        List<Map<String, Object>> outputs = new ArrayList<>();
        int layers = 0;
        int kvHeads = -1;
        int headDim = -1;
        try (OrtSession session = new SessionFactory(ExecutionDevice.CPU, 1).open(src.resolve(graph))) {
            for (NodeInfo n : session.getInputInfo().values()) {
                inputs.add(io(n));
                if (n.getName().matches("past_key_values\\.\\d+\\.key")) {
                    layers++;
                    long[] shape = ((TensorInfo) n.getInfo()).getShape();
                    requireFloat(n);
                    kvHeads = (int) shape[1];
                    headDim = (int) shape[3];
                }
            }
            for (NodeInfo n : session.getOutputInfo().values()) {
                outputs.add(io(n));
            }
            requireInput(session, "input_ids");
            requireInput(session, "attention_mask");
            requireOptimumMask(graph, (TensorInfo) session.getInputInfo().get("attention_mask").getInfo());
            if (!session.getOutputInfo().containsKey("logits")) {
                throw new ManifestException("import-optimum: " + graph + " has no 'logits' output");
            }
        } catch (OrtException e) {
            throw new ManifestException("import-optimum: cannot read " + graph + ": " + e.getMessage(), e);
        }
        if (layers == 0) {
            throw new ManifestException("import-optimum: " + graph + " has no past_key_values.* inputs; export with "
                    + "--task text-generation-with-past");
        }
        if (kvHeads <= 0) {
            kvHeads = cfg.path("num_key_value_heads").asInt(heads);
        }
        if (headDim <= 0) {
            headDim = cfg.path("head_dim").asInt(dim / heads);
        }
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("vocab", vocab);
        config.put("dim", dim);
        config.put("layers", layers);
        config.put("heads", heads);
        config.put("kv_heads", kvHeads);
        config.put("head_dim", headDim);
        config.put("max_pos", maxPos);
        Map<String, Object> target = new LinkedHashMap<>();
        target.put("file", graph);
        target.put("contract", "optimum");
        target.put("context_length", maxPos);
        target.put("config", config);
        target.put("io", Map.of("inputs", inputs, "outputs", outputs));
        Map<String, Object> tokenizer = new LinkedHashMap<>();
        tokenizer.put("file", "tokenizer.json");
        tokenizer.put("vocab_size", vocab);
        tokenizer.put("eos_id", eos.get(0));
        tokenizer.put("eos_ids", eos);
        tokenizer.put("eos_token", "");
        Map<String, String> sourceSha = new LinkedHashMap<>();
        try (Stream<Path> s = Files.list(src)) {
            s.filter(Files::isRegularFile).sorted()
                    .forEach(f -> sourceSha.put(f.getFileName().toString(), ManifestLoader.sha256(f)));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", ManifestLoader.FORMAT);
        m.put("name", src.toAbsolutePath().normalize().getFileName().toString());
        m.put("source", Map.of("optimum_export", src.toAbsolutePath().normalize().toString(), "sha256", sourceSha));
        m.put("tokenizer", tokenizer);
        m.put("target", target);
        return m;
    }

    private static Map<String, Object> io(NodeInfo n) {
        TensorInfo t = (TensorInfo) n.getInfo();
        List<Object> shape = new ArrayList<>();
        long[] dims = t.getShape();
        for (int i = 0; i < dims.length; i++) {
            shape.add(dims[i] >= 0 ? (Object) dims[i] : "d" + i);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", n.getName());
        m.put("shape", shape);
        String type = t.type.toString().toLowerCase();
        m.put("dtype", type.equals("float") ? "float32" : type);
        return m;
    }

    private static void requireFloat(NodeInfo n) {
        TensorInfo t = (TensorInfo) n.getInfo();
        if (!t.type.toString().equalsIgnoreCase("float")) {
            throw new ManifestException("import-optimum: past '" + n.getName() + "' is " + t.type
                    + "; only fp32 Optimum exports are served (export with --dtype fp32)");
        }
    }

    /**
     * optimum-cli's attention mask is [batch, past + seq] of int64 ones; specserve's own tree graphs take an
     * additive float mask [batch, 1, seq, past + seq], and are served from their own manifest, not imported.
     */
    private static void requireOptimumMask(String graph, TensorInfo mask) {
        if (mask.getShape().length != 2 || !mask.type.toString().equalsIgnoreCase("int64")) {
            throw new ManifestException("import-optimum: " + graph + "'s attention_mask is " + mask.type + " of rank "
                    + mask.getShape().length + ", not optimum-cli's int64 [batch, sequence]"
                    + (mask.getShape().length == 4 ? ": this looks like specserve's tree contract (exported by "
                    + "models/export-hf.py), which is served from its own manifest.json, not imported" : ""));
        }
    }

    private static void requireInput(OrtSession s, String name) throws OrtException {
        if (!s.getInputInfo().containsKey(name)) {
            throw new ManifestException("import-optimum: the graph has no '" + name + "' input (inputs: "
                    + s.getInputInfo().keySet() + ")");
        }
    }

    private static int integer(JsonNode cfg, String... keys) {
        for (String k : keys) {
            if (cfg.path(k).isInt()) {
                return cfg.path(k).asInt();
            }
        }
        throw new ManifestException("import-optimum: config.json has no " + String.join(" / ", keys));
    }

    private static boolean isEmptyDir(Path p) throws IOException {
        if (!Files.isDirectory(p)) {
            return false;
        }
        try (Stream<Path> s = Files.list(p)) {
            return s.findAny().isEmpty();
        }
    }

    private static void deleteTree(Path p) {
        try (Stream<Path> s = Files.walk(p)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // best effort: the temporary directory is hidden and named as such
        }
    }
}
