package dev.specserve.runtime;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the project home (bundled models, data dir) from -Dspecserve.home, $SPECSERVE_HOME or the working dir. */
public final class SpecserveHome {
    private SpecserveHome() {}

    public static Path home() {
        String prop = System.getProperty("specserve.home");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop).toAbsolutePath().normalize();
        }
        String env = System.getenv("SPECSERVE_HOME");
        if (env != null && !env.isBlank()) {
            return Path.of(env).toAbsolutePath().normalize();
        }
        Path dir = Path.of("").toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("models/demo/manifest.json"))) {
                return p;
            }
        }
        return dir;
    }

    public static Path demoModels() {
        return home().resolve("models/demo");
    }

    /** Writable data dir for caches (tokenizer natives, broker logs); $SPECSERVE_DATA overrides. */
    public static Path dataDir() {
        String env = System.getenv("SPECSERVE_DATA");
        return env != null && !env.isBlank() ? Path.of(env) : home().resolve("data");
    }
}
