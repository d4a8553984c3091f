package dev.specserve.drafters;

import dev.specserve.runtime.spec.DraftBudget;

/**
 * Strategy knobs.
 *
 * @param maxBlocks     SpecBlock: drafter forwards per round (the first block plus expansions)
 * @param expandWidth   SpecBlock: expansion blocks batched into one forward
 * @param staticTopK    specblock-static: children per slot
 * @param eagleTopK     eagle: children per frontier node and frontier width
 * @param ngramMax      ngram: longest suffix to match
 * @param ngramBranches ngram: distinct continuations to propose
 * @param rankCoverage  specblock: branch until the rank head's probability of covering the target's token
 *                      reaches this (0 = use the rank head's most likely class instead)
 * @param rankFloor     specblock: drop a slot whose 10-branch coverage probability is below this
 * @param suffix        suffix lookup: match lengths, candidates, speculation depth, global index size
 * @param autoBudget    auto: the most the goodput planner may draft per round when a request names no budget
 */
public record DrafterConfig(int maxBlocks, int expandWidth, int staticTopK, int eagleTopK, int ngramMax, int ngramBranches,
                            double rankCoverage, double rankFloor, SuffixConfig suffix, DraftBudget autoBudget) {
    public DrafterConfig(int maxBlocks, int expandWidth, int staticTopK, int eagleTopK, int ngramMax,
                         int ngramBranches, double rankCoverage, double rankFloor) {
        this(maxBlocks, expandWidth, staticTopK, eagleTopK, ngramMax, ngramBranches, rankCoverage, rankFloor,
                SuffixConfig.defaults(), new DraftBudget(32, 16));
    }

    public DrafterConfig withSuffix(SuffixConfig s) {
        return new DrafterConfig(maxBlocks, expandWidth, staticTopK, eagleTopK, ngramMax, ngramBranches, rankCoverage,
                rankFloor, s, autoBudget);
    }

    public DrafterConfig withAutoBudget(DraftBudget b) {
        return new DrafterConfig(maxBlocks, expandWidth, staticTopK, eagleTopK, ngramMax, ngramBranches, rankCoverage,
                rankFloor, suffix, b);
    }

    /**
     * Defaults measured best on the 2-core CPU with the demo pair (README, Performance): one SpecBlock forward
     * per round. Expansion blocks raise tau, but there each drafter forward costs more than the tokens it adds.
     */
    public static DrafterConfig defaults() {
        return new DrafterConfig(1, 2, 2, 4, 3, 3, 0.5, 0.2);
    }

    /** Block expansion on: three SpecBlock forwards per round, four expansions each. */
    public static DrafterConfig expanding() {
        return new DrafterConfig(3, 4, 2, 4, 3, 3, 0.5, 0.2);
    }

    BranchPolicy rankPolicy() {
        return rankCoverage > 0 ? BranchPolicy.rankHeadCoverage(rankCoverage, rankFloor) : BranchPolicy.rankHead();
    }
}
