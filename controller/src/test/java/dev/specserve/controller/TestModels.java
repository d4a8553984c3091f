package dev.specserve.controller;

import dev.specserve.runtime.SpecserveHome;
import java.nio.file.Path;

/** The models controller tests run on: the bundled demo pair, or {@code -Dspecserve.test.models=DIR}. */
public final class TestModels {
    private TestModels() {}

    public static Path dir() {
        String override = System.getProperty("specserve.test.models");
        if (override != null && !override.isBlank() && !override.startsWith("${")) {
            Path p = Path.of(override);
            return p.isAbsolute() ? p : SpecserveHome.home().resolve(p);
        }
        return SpecserveHome.demoModels();
    }
}
