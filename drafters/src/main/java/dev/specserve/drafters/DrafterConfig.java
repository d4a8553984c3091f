package dev.specserve.drafters;

/**
 * Strategy knobs.
 *
 * @param maxBlocks     SpecBlock: drafter forwards per round (the first block plus expansions)
 * @param expandWidth   SpecBlock: expansion blocks batched into one forward
 * @param staticTopK    specblock-static: children per slot
 * @param eagleTopK     eagle: children per frontier node and frontier width
 * @param ngramMax      ngram: longest suffix to match
 * @param ngramBranches ngram: distinct continuations to propose
 */
public record DrafterConfig(int maxBlocks, int expandWidth, int staticTopK, int eagleTopK, int ngramMax, int ngramBranches) {
    public static DrafterConfig defaults() {
        return new DrafterConfig(3, 4, 2, 4, 3, 3);
    }
}
