package dev.specserve.controller.cli;

import dev.specserve.drafters.ModelStack;
import dev.specserve.runtime.SpecserveHome;
import dev.specserve.runtime.manifest.DrafterPrecision;
import dev.specserve.runtime.ort.ExecutionDevice;
import dev.specserve.runtime.ort.IntraOpThreads;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options shared by every command that loads models. */
final class ModelOptions {
    @Option(names = "--models", defaultValue = "${SPECSERVE_MODELS}", paramLabel = "DIR",
            description = "Model directory with manifest.json (default: SPECSERVE_MODELS, as serve reads it, else "
                    + "the bundled demo pair, models/demo).")
    Path models;

    @Option(names = "--device", defaultValue = "${SPECSERVE_DEVICE:-auto}", paramLabel = "auto|cuda|cpu",
            description = "Execution provider; auto tries CUDA and falls back to the CPU (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--drafter-precision", defaultValue = "${SPECSERVE_DRAFTER_PRECISION:-auto}",
            paramLabel = "auto|fp32|int8",
            description = "Drafter file: auto serves the manifest's int8 drafter on the CPU and the full-precision one "
                    + "on CUDA; output is exact either way (default: ${DEFAULT-VALUE}).")
    String drafterPrecision;

    @Option(names = "--threads", defaultValue = "${SPECSERVE_THREADS:-auto}", paramLabel = "N|auto",
            description = "ORT intra-op threads per session; auto is one less than the cores, at least 1 "
                    + "(default: ${DEFAULT-VALUE}).")
    String threads;

    @Option(names = "--prefill-threads", defaultValue = "${SPECSERVE_PREFILL_THREADS:-auto}", paramLabel = "N|auto",
            description = "ORT intra-op threads for prefill chunks (64 rows or more), in a session of their own when "
                    + "more than --threads; auto is every core (default: ${DEFAULT-VALUE}).")
    String prefillThreads;

    /**
     * The settings among {@code keys} given on the command line, by config key, so that they beat the environment
     * and the config file as the flags of {@code serve} do; a model flag's value is read from this mixin.
     */
    java.util.Map<String, String> given(picocli.CommandLine.ParseResult parsed,
                                        Iterable<dev.specserve.controller.config.ConfigKey> keys) {
        java.util.Map<String, String> flags = new java.util.LinkedHashMap<>();
        for (dev.specserve.controller.config.ConfigKey k : keys) {
            if (parsed.hasMatchedOption(k.flag())) {
                flags.put(k.key(), k == dev.specserve.controller.config.ConfigKey.MODELS ? models.toString()
                        : parsed.matchedOptionValue(k.flag(), (String) null));
            }
        }
        return flags;
    }

    ModelStack load() {
        return load(DrafterPrecision.parse(drafterPrecision));
    }

    /** The model directory these options name: --models, else the bundled demo pair. */
    Path directory() {
        return models != null ? models : SpecserveHome.demoModels();
    }

    ModelStack load(DrafterPrecision precision) {
        Path dir = directory();
        int t = IntraOpThreads.resolve(threads);
        return ModelStack.load(dir, ExecutionDevice.parse(device), t, IntraOpThreads.prefill(prefillThreads, t), precision, 0);
    }
}
