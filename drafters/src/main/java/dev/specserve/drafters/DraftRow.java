package dev.specserve.drafters;

/**
 * One input position of a drafter call.
 *
 * @param token       the anchor token (ignored for block slots k > 0)
 * @param hidden      target hidden (context pair) or inherited draft hidden (expansion anchor)
 * @param slot        0 for context pairs and anchors, k for the k-th slot of a block
 * @param shift       index within the call of the row's predecessor (itself for slot 0)
 * @param position    position id
 * @param prefix      the row sees every cache row below this absolute row
 * @param extra       further absolute cache rows it sees (ancestor slots, itself, earlier slots of its block)
 */
record DraftRow(int token, float[] hidden, int slot, int shift, int position, int prefix, int[] extra) {}
