package dev.specserve.controller.cli;

import dev.specserve.drafters.DrafterConfig;
import dev.specserve.drafters.SuffixConfig;
import dev.specserve.runtime.spec.DraftBudget;
import picocli.CommandLine.Option;

/** Draft-tree budgets and strategy knobs. */
final class DraftOptions {
    @Option(names = "--max-nodes", defaultValue = "6", description = "Tree nodes per round (default: ${DEFAULT-VALUE}).")
    int maxNodes;

    @Option(names = "--max-depth", defaultValue = "4", description = "Tree depth per round (default: ${DEFAULT-VALUE}).")
    int maxDepth;

    @Option(names = "--max-blocks", defaultValue = "1",
            description = "SpecBlock drafter forwards per round, first block included (default: ${DEFAULT-VALUE}).")
    int maxBlocks;

    @Option(names = "--expand-width", defaultValue = "2",
            description = "SpecBlock expansions batched per forward (default: ${DEFAULT-VALUE}).")
    int expandWidth;

    @Option(names = "--static-topk", defaultValue = "2",
            description = "specblock-static: children per slot (default: ${DEFAULT-VALUE}).")
    int staticTopK;

    @Option(names = "--eagle-topk", defaultValue = "4",
            description = "eagle: children per node and frontier width (default: ${DEFAULT-VALUE}).")
    int eagleTopK;

    @Option(names = "--rank-coverage", defaultValue = "0.5",
            description = "specblock, specblock-fixed, auto: branch until the rank head's coverage probability reaches "
                    + "this, in [0, 1]; 0 = branch as the rank head's argmax class says (1, 4 or 10 branches, or drop "
                    + "the slot), --rank-floor unused (default: ${DEFAULT-VALUE}).")
    double rankCoverage;

    @Option(names = "--rank-floor", defaultValue = "0.2",
            description = "specblock, specblock-fixed, auto: drop slots whose 10-branch coverage probability is below this "
                    + "(default: ${DEFAULT-VALUE}).")
    double rankFloor;

    @Option(names = "--auto-max-nodes", defaultValue = "32",
            description = "auto: the most tree nodes the goodput planner may verify per round (default: ${DEFAULT-VALUE}).")
    int autoMaxNodes;

    @Option(names = "--auto-max-depth", defaultValue = "16",
            description = "auto: the deepest tree the goodput planner may verify (default: ${DEFAULT-VALUE}).")
    int autoMaxDepth;

    @Option(names = "--suffix-spec-factor", defaultValue = "2.0",
            description = "suffix, hybrid, auto: draft at most this many tokens per matched context token "
                    + "(default: ${DEFAULT-VALUE}).")
    double suffixSpecFactor;

    @Option(names = "--suffix-index-tokens", defaultValue = "1048576",
            description = "suffix, hybrid, auto: tokens of earlier outputs kept for lookup, least recently used "
                    + "evicted; 0 = own prompt and output only (default: ${DEFAULT-VALUE}).")
    long suffixIndexTokens;

    @Option(names = "--suffix-index-prompts",
            description = "suffix, hybrid, auto: the shared lookup index keeps earlier requests' prompts too, not "
                    + "only their outputs.")
    boolean suffixIndexPrompts;

    @Option(names = "--no-lookup-corpus",
            description = "suffix, hybrid, auto: leave the model's lookup corpus out (drafts come from the request's "
                    + "own text and earlier outputs only).")
    boolean noLookupCorpus;

    /** Checks every drafting flag: call before loading models, so a bad one fails at once. */
    void validate() {
        budget();
        config();
    }

    DraftBudget budget() {
        if (maxNodes < 0 || maxDepth < 0) {
            throw new IllegalArgumentException("--max-nodes and --max-depth must be >= 0, got " + maxNodes + " and "
                    + maxDepth);
        }
        return new DraftBudget(maxNodes, maxDepth);
    }

    /** Zero would quietly switch a strategy's drafting off, which reads as a bad drafter rather than a bad flag. */
    private static void atLeastOne(String flag, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(flag + " must be >= 1, got " + value);
        }
    }

    DrafterConfig config() {
        atLeastOne("--max-blocks", maxBlocks);
        atLeastOne("--expand-width", expandWidth);
        atLeastOne("--static-topk", staticTopK);
        atLeastOne("--eagle-topk", eagleTopK);
        atLeastOne("--auto-max-nodes", autoMaxNodes);
        atLeastOne("--auto-max-depth", autoMaxDepth);
        if (!(rankCoverage >= 0 && rankCoverage <= 1)) { // 0 is the argmax policy (DrafterConfig.rankPolicy)
            throw new IllegalArgumentException("--rank-coverage must be in [0, 1] (0 = the rank head's argmax class), "
                    + "got " + rankCoverage);
        }
        if (!(rankFloor >= 0 && rankFloor <= 1)) {
            throw new IllegalArgumentException("--rank-floor must be in [0, 1], got " + rankFloor);
        }
        if (!(suffixSpecFactor > 0) || suffixIndexTokens < 0) {
            throw new IllegalArgumentException("--suffix-spec-factor must be > 0 and --suffix-index-tokens >= 0, got "
                    + suffixSpecFactor + " and " + suffixIndexTokens);
        }
        DrafterConfig d = DrafterConfig.defaults();
        SuffixConfig s = d.suffix();
        return new DrafterConfig(maxBlocks, expandWidth, staticTopK, eagleTopK, d.ngramMax(), d.ngramBranches(),
                rankCoverage, rankFloor, new SuffixConfig(s.maxMatch(), s.candidates(), suffixSpecFactor, suffixIndexTokens,
                        suffixIndexPrompts, !noLookupCorpus),
                new DraftBudget(autoMaxNodes, autoMaxDepth));
    }
}
