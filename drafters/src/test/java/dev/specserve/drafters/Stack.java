package dev.specserve.drafters;

import dev.specserve.runtime.SpecserveHome;
import dev.specserve.runtime.ort.ExecutionDevice;
import java.nio.file.Path;

/** The test models' full stack, loaded once per test class. */
final class Stack {
    private Stack() {}

    static Path modelDir() {
        String override = System.getProperty("specserve.test.models");
        if (override != null && !override.isBlank() && !override.startsWith("${")) {
            Path p = Path.of(override);
            return p.isAbsolute() ? p : SpecserveHome.home().resolve(p);
        }
        return SpecserveHome.demoModels();
    }

    static ModelStack load() {
        return ModelStack.load(modelDir(), ExecutionDevice.AUTO, 2);
    }
}
