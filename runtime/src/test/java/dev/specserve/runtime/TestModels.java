package dev.specserve.runtime;

import java.nio.file.Path;

/** The model directory tests run against: the committed demo pair unless -Dspecserve.test.models says otherwise. */
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
