package dev.specserve.controller.cli;

import dev.specserve.drafters.ModelStack;
import dev.specserve.runtime.SpecserveHome;
import dev.specserve.runtime.manifest.DrafterPrecision;
import dev.specserve.runtime.ort.ExecutionDevice;
import dev.specserve.runtime.ort.IntraOpThreads;
import dev.specserve.controller.config.ConfigKey;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Options shared by every command that loads models. A flag not given falls back to its SPECSERVE_* environment
 * variable, read as serve reads it (an empty variable is unset), then to the default; an error names where the bad
 * value came from.
 */
final class ModelOptions {
    @Option(names = "--models", paramLabel = "DIR",
            description = "Model directory with manifest.json (default: SPECSERVE_MODELS, as serve reads it, else "
                    + "the bundled demo pair, models/demo).")
    Path models;

    @Option(names = "--device", paramLabel = "auto|cuda|cpu",
            description = "Execution provider; auto tries CUDA and falls back to the CPU (default: SPECSERVE_DEVICE, "
                    + "else auto).")
    String device;

    @Option(names = "--drafter-precision", paramLabel = "auto|fp32|int8",
            description = "Drafter file: auto serves the manifest's int8 drafter on the CPU and the full-precision one "
                    + "on CUDA; output is exact either way (default: SPECSERVE_DRAFTER_PRECISION, else auto).")
    String drafterPrecision;

    @Option(names = "--threads", paramLabel = "N|auto",
            description = "ORT intra-op threads per session; auto is one less than the cores, at least 1 "
                    + "(default: SPECSERVE_THREADS, else auto).")
    String threads;

    @Option(names = "--prefill-threads", paramLabel = "N|auto",
            description = "ORT intra-op threads for prefill chunks (64 rows or more), in a session of their own when "
                    + "more than --threads; auto is every core (default: SPECSERVE_PREFILL_THREADS, else auto).")
    String prefillThreads;

    /** Where the defaults come from; tests give their own. */
    Map<String, String> env = System.getenv();

    /**
     * The settings among {@code keys} given on the command line, by config key, so that they beat the environment
     * and the config file as the flags of {@code serve} do; a model flag's value is read from this mixin.
     */
    Map<String, String> given(picocli.CommandLine.ParseResult parsed, Iterable<ConfigKey> keys) {
        Map<String, String> flags = new java.util.LinkedHashMap<>();
        for (ConfigKey k : keys) {
            if (parsed.hasMatchedOption(k.flag())) {
                flags.put(k.key(), k == ConfigKey.MODELS ? models.toString()
                        : parsed.matchedOptionValue(k.flag(), (String) null));
            }
        }
        return flags;
    }

    /** The model directory: --models, else SPECSERVE_MODELS, else the bundled demo pair. */
    Path directory() {
        if (models != null) {
            return models;
        }
        String dir = setting(null, ConfigKey.MODELS, null);
        return dir != null ? Path.of(dir) : SpecserveHome.demoModels();
    }

    ModelStack load() {
        return load(setting(drafterPrecision, ConfigKey.DRAFTER_PRECISION, DrafterPrecision::parse));
    }

    ModelStack load(DrafterPrecision precision) {
        Path dir = directory();
        ExecutionDevice d = setting(device, ConfigKey.DEVICE, ExecutionDevice::parse);
        int t = setting(threads, ConfigKey.THREADS, IntraOpThreads::resolve);
        int prefill = setting(prefillThreads, ConfigKey.PREFILL_THREADS, v -> IntraOpThreads.prefill(v, t));
        return ModelStack.load(dir, d, t, prefill, precision, 0);
    }

    /** The flag's value, else the setting's environment variable (empty = unset), else its default, parsed. */
    <T> T setting(String flagValue, ConfigKey k, java.util.function.Function<String, T> parse) {
        String value;
        String where;
        if (flagValue != null) {
            value = flagValue;
            where = k.flag();
        } else if (env.get(k.env()) != null && !env.get(k.env()).isEmpty()) {
            value = env.get(k.env());
            where = "environment variable " + k.env();
        } else {
            value = k.defaultValue();
            where = "the default";
        }
        if (value != null && value.isBlank()) {
            throw new IllegalArgumentException(k.flag().substring(2) + " must not be blank (from " + where + ")");
        }
        if (parse == null) {
            @SuppressWarnings("unchecked")
            T raw = (T) (value == null ? null : value.trim());
            return raw;
        }
        try {
            return parse.apply(value.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + " (from " + where + ")", e);
        }
    }
}
