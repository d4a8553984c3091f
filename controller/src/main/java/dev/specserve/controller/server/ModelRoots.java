package dev.specserve.controller.server;

import dev.specserve.runtime.manifest.ManifestLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Confines admin {@code load} to drafter files inside the configured {@code model_roots}.
 *
 * <p>A path is accepted only when it resolves, after normalisation and symlink resolution
 * ({@link Path#toRealPath}), to a regular file under one of the roots (each also resolved to its real path), and
 * its sha256 equals the one the caller gave. Every refusal, whatever the reason (traversal, a symlink out of the
 * roots, a missing file, a directory, a missing, malformed or wrong sha256), answers with the same
 * {@link #REFUSED} error, so the API is neither a file-existence nor a file-hash oracle; the reason is logged
 * here, on the server, and never sent back. Relative paths resolve against the first root, not the working
 * directory.
 */
final class ModelRoots {
    private static final Logger LOG = LoggerFactory.getLogger(ModelRoots.class);
    private static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");
    /** The one answer to any refused load: the same status and body whatever went wrong. */
    static final ApiError REFUSED = ApiError.invalid(null, "not an allowed model file");

    private final List<Path> roots;

    ModelRoots(List<Path> roots) {
        List<Path> real = new ArrayList<>();
        for (Path r : roots) {
            try {
                real.add(r.toRealPath());
            } catch (IOException e) {
                LOG.warn("model root {} cannot be resolved ({}); no file under it can be loaded", r, e.toString());
            }
        }
        this.roots = List.copyOf(real);
    }

    List<Path> roots() {
        return roots;
    }

    /**
     * The real path of the allowed file {@code requested} whose sha256 is {@code sha256}.
     *
     * @throws AdminGate.AdminFailure with {@link #REFUSED} for any refusal
     */
    Path resolve(Object requested, Object sha256) {
        if (!(requested instanceof String path) || path.isBlank()) {
            throw refuse(requested, "no path given");
        }
        if (!(sha256 instanceof String sha) || !SHA256.matcher(sha.trim()).matches()) {
            throw refuse(path, "sha256 missing or not 64 hex digits");
        }
        if (roots.isEmpty()) {
            throw refuse(path, "no model root exists");
        }
        Path real;
        try {
            real = roots.get(0).resolve(path).normalize().toRealPath();
        } catch (IOException | RuntimeException e) {
            throw refuse(path, "cannot be resolved: " + e);
        }
        if (roots.stream().noneMatch(real::startsWith)) {
            throw refuse(path, "resolves to " + real + ", outside the model roots " + roots);
        }
        if (!Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
            throw refuse(path, "resolves to " + real + ", which is not a regular file");
        }
        String actual;
        try {
            actual = ManifestLoader.sha256(real);
        } catch (RuntimeException e) {
            throw refuse(path, "cannot be read: " + e);
        }
        if (!actual.equals(sha.trim().toLowerCase(Locale.ROOT))) {
            throw refuse(path, "sha256 does not match the one given");
        }
        return real;
    }

    private static AdminGate.AdminFailure refuse(Object path, String why) {
        LOG.warn("refused admin load of {}: {}", quoted(path), quoted(why));
        return new AdminGate.AdminFailure(REFUSED);
    }

    /**
     * A caller's value as one JSON-escaped line for the log: a path holding a newline or NUL must not forge log
     * lines or make the log binary.
     */
    static String quoted(Object value) {
        return value instanceof String text ? io.vertx.core.json.Json.encode(text) : String.valueOf(value);
    }
}
