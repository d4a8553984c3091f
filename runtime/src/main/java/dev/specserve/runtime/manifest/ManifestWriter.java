package dev.specserve.runtime.manifest;

import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Adds a file to a model directory's {@code manifest.json}: its section and its sha256, written in the layout the
 * Python toolchain writes ({@code json.dump(indent=2)}: two-space indents, one array item per line, ASCII), so a
 * Java tool's edit shows in a diff as just that edit. The manifest is replaced atomically.
 */
public final class ManifestWriter {
    private static final JsonMapper JSON = JsonMapper.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build();

    private ManifestWriter() {}

    /** Sets {@code section} to {@code value} and records the sha256 of {@code file} (relative to the directory). */
    public static void addFile(Path directory, String section, Map<String, Object> value, String file) {
        Path manifest = directory.resolve("manifest.json");
        try {
            Map<String, Object> root = JSON.readValue(manifest.toFile(), new TypeReference<LinkedHashMap<String, Object>>() {});
            root.put(section, value);
            @SuppressWarnings("unchecked")
            Map<String, Object> sums = (Map<String, Object>) root.computeIfAbsent("sha256", k -> new LinkedHashMap<>());
            sums.put(file, ManifestLoader.sha256(directory.resolve(file)));
            Path tmp = directory.resolve("manifest.json.tmp");
            Files.writeString(tmp, write(root));
            Files.move(tmp, manifest, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot update " + manifest + ": " + e.getMessage(), e);
        }
    }

    static String write(Object root) throws IOException {
        DefaultIndenter indent = new DefaultIndenter("  ", "\n");
        Separators separators = Separators.createDefaultInstance()
                .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
                .withObjectEmptySeparator("")
                .withArrayEmptySeparator("");
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter(separators)
                .withObjectIndenter(indent)
                .withArrayIndenter(indent);
        return JSON.writer(printer).writeValueAsString(root);
    }
}
