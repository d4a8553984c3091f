package dev.specserve.drafters;

import dev.specserve.runtime.manifest.ModelManifest;
import dev.specserve.runtime.model.TargetModel;
import dev.specserve.runtime.spec.AutoregressiveDrafter;
import dev.specserve.runtime.spec.ChainDrafter;
import dev.specserve.runtime.spec.Drafter;
import java.util.List;

/**
 * The strategies of a model without a drafter: plain decoding and the lookup drafters, with {@code auto}
 * choosing between them. A target that verifies only causal chains (Optimum contract) gets each lookup
 * tree cut to its best path.
 */
final class ModelFreeStrategies {
    static final List<String> NAMES = List.of("none", "ngram", "suffix", "auto");
    static final String TRAIN_HINT = "train one with models/train-drafter.sh --models";

    private ModelFreeStrategies() {}

    static Drafter create(String name, DrafterConfig config, ModelManifest manifest, TargetModel target,
                          LookupCorpus corpus) {
        Drafter d = switch (name) {
            case "none" -> new AutoregressiveDrafter();
            case "ngram" -> new NgramDrafter(config);
            case "suffix" -> new SuffixDrafter(config.suffix(), corpus);
            case "auto" -> new HybridDrafter("auto", new SuffixDrafter(config.suffix(), corpus), null, config.autoBudget());
            default -> throw new IllegalArgumentException(refusal(name, manifest, target));
        };
        return target.verifiesTrees() || name.equals("none") ? d : new ChainDrafter(d);
    }

    static String refusal(String name, ModelManifest manifest, TargetModel target) {
        if (!Strategies.NAMES.contains(name)) {
            return "unknown strategy '" + name + "'; known: " + String.join(", ", NAMES);
        }
        if (!target.verifiesTrees()) {
            return "strategy '" + name + "' needs a drafter model and tree verification, which model '" + manifest.name()
                    + "' (an Optimum-contract export) cannot do; it serves " + String.join(", ", NAMES)
                    + " (lookup drafts verified as one chain). Export the checkpoint with models/export-hf.py for trees";
        }
        return "strategy '" + name + "' needs a drafter model, and model '" + manifest.name() + "' has no drafter; it serves "
                + String.join(", ", NAMES) + ". To add one, " + TRAIN_HINT + " " + manifest.directory()
                + " --corpus FILES...";
    }
}
