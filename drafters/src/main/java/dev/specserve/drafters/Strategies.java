package dev.specserve.drafters;

import dev.specserve.runtime.plan.GoodputPlanner;
import dev.specserve.runtime.spec.AutoregressiveDrafter;
import dev.specserve.runtime.spec.Drafter;
import java.util.List;
import java.util.function.Supplier;

/**
 * Drafting strategies by name. {@code auto} (the default) lets the goodput planner choose, every round, between
 * plain decoding, suffix lookup and SpecBlock forwards; {@code specblock} is the SpecBlock drafter alone under
 * the same planner (whether a forward pays, and how much of its rank-head tree to verify). The others draft a
 * fixed budget and stay for ablation ({@code specblock-fixed}: the rank head's tree verified as drafted).
 */
public final class Strategies {
    public static final String DEFAULT = "auto";
    public static final List<String> NAMES = List.of("none", "ngram", "suffix", "eagle", "specblock-static",
            "specblock-fixed", "specblock", "hybrid", "auto");

    private Strategies() {}

    /** @param corpus the model's lookup corpus for the lookup strategies, or null */
    public static Drafter create(String name, Supplier<DrafterVersion> versions, DrafterConfig config,
                                 int cacheCapacity, LookupCorpus corpus) {
        return switch (name) {
            case "none" -> new AutoregressiveDrafter();
            case "ngram" -> new NgramDrafter(config);
            case "suffix" -> new SuffixDrafter(config.suffix(), corpus);
            case "hybrid" -> new HybridDrafter("hybrid", new SuffixDrafter(config.suffix(), corpus),
                    SpecBlockDrafter.withRankHead(versions, config, cacheCapacity), null);
            case "auto" -> new HybridDrafter("auto", new SuffixDrafter(config.suffix(), corpus),
                    SpecBlockDrafter.withRankHead(versions, config, cacheCapacity)
                            .withMaxCatchUp(GoodputPlanner.MODEL_CATCH_UP), config.autoBudget());
            case "eagle" -> new EagleDrafter(versions, config, cacheCapacity);
            case "specblock-static" -> SpecBlockDrafter.staticTopK(versions, config, cacheCapacity);
            case "specblock-fixed" -> SpecBlockDrafter.withRankHead(versions, config, cacheCapacity);
            case "specblock" -> new HybridDrafter("specblock", null, SpecBlockDrafter.withRankHead(versions, config,
                    cacheCapacity).withMaxCatchUp(GoodputPlanner.MODEL_CATCH_UP), config.autoBudget());
            default -> throw new IllegalArgumentException("unknown strategy '" + name + "'; known: " + String.join(", ", NAMES));
        };
    }
}
