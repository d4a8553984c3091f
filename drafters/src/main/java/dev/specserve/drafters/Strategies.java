package dev.specserve.drafters;

import dev.specserve.runtime.spec.AutoregressiveDrafter;
import dev.specserve.runtime.spec.Drafter;
import java.util.List;
import java.util.function.Supplier;

/** Drafting strategies by name. */
public final class Strategies {
    public static final List<String> NAMES = List.of("none", "ngram", "eagle", "specblock-static", "specblock");

    private Strategies() {}

    public static Drafter create(String name, Supplier<DrafterVersion> versions, DrafterConfig config,
                                 int cacheCapacity) {
        return switch (name) {
            case "none" -> new AutoregressiveDrafter();
            case "ngram" -> new NgramDrafter(config);
            case "eagle" -> new EagleDrafter(versions, config, cacheCapacity);
            case "specblock-static" -> SpecBlockDrafter.staticTopK(versions, config, cacheCapacity);
            case "specblock" -> SpecBlockDrafter.withRankHead(versions, config, cacheCapacity);
            default -> throw new IllegalArgumentException("unknown strategy '" + name + "'; known: " + String.join(", ", NAMES));
        };
    }
}
