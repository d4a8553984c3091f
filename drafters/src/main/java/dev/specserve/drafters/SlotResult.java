package dev.specserve.drafters;

/**
 * The drafter's output at one row of this round: the distribution over the token that follows it, the
 * hidden state an expansion would inherit, and which scratch cache rows an expansion from here must see.
 */
record SlotResult(int cacheRow, int position, float[] hidden, int[] topIds, float[] topLogprobs, int rankClass,
                  float[] rankProbs, int[] visible) {}
