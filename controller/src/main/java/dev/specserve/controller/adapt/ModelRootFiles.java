package dev.specserve.controller.adapt;

import dev.specserve.drafters.DrafterVersion;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Drafter files the fleet names are opened only under this process's {@code model_roots} (after resolving links),
 * like the admin API's {@code load}: whoever can write the updates topic must not make a replica open any path.
 */
final class ModelRootFiles {
    private ModelRootFiles() {}

    /** {@code open} (a path and its sha256 to a new version), refusing any path outside {@code roots}. */
    static BiFunction<Path, String, DrafterVersion> within(List<Path> roots, BiFunction<Path, String, DrafterVersion> open) {
        return (file, sha256) -> {
            Path real;
            try {
                real = file.toRealPath();
            } catch (IOException e) {
                throw new IllegalArgumentException("drafter file " + file + " cannot be resolved: " + e);
            }
            if (roots.stream().noneMatch(r -> under(real, r))) {
                throw new IllegalArgumentException("drafter file " + real + " is outside the model roots " + roots);
            }
            return open.apply(real, sha256);
        };
    }

    private static boolean under(Path real, Path root) {
        try {
            return real.startsWith(root.toRealPath());
        } catch (IOException e) {
            return false;
        }
    }
}
