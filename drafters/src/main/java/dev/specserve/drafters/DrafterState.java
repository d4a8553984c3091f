package dev.specserve.drafters;

import dev.specserve.runtime.kv.KvCache;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A sequence's drafter-side state shared by the SpecBlock and EAGLE strategies: the drafter's KV cache
 * (context rows, then this round's scratch rows), the context pairs not yet fed to it, and the slot
 * results of the current round.
 */
final class DrafterState {
    private final SpecBlockModel model;
    private final java.util.function.Supplier<DrafterVersion> versions;
    private DrafterVersion version;
    private final KvCache cache;
    private final List<float[]> pendingHidden = new ArrayList<>();
    private final List<Integer> pendingTokens = new ArrayList<>();
    private final List<Integer> pendingPositions = new ArrayList<>();
    private final List<SlotResult> slots = new ArrayList<>();
    private int contextRows;
    private int nextTokenPosition;
    private int forwards;
    private long ortNanos;

    DrafterState(SpecBlockModel model, java.util.function.Supplier<DrafterVersion> versions, int capacity) {
        this.model = model;
        this.versions = versions;
        this.version = versions.get();
        this.cache = model.newCache(capacity);
    }

    int blockSize() {
        return model.blockSize();
    }

    void start(int[] prompt, float[] hidden, int firstToken) {
        int h = model.info().dim();
        for (int t = 0; t < prompt.length; t++) {
            int next = t + 1 < prompt.length ? prompt[t + 1] : firstToken;
            addPair(Arrays.copyOfRange(hidden, t * h, (t + 1) * h), next, t + 1);
        }
        nextTokenPosition = prompt.length + 1;
    }

    void commit(int[] newTokens, float[] hiddenBefore) {
        int h = model.info().dim();
        for (int j = 0; j < newTokens.length; j++) {
            addPair(Arrays.copyOfRange(hiddenBefore, j * h, (j + 1) * h), newTokens[j], nextTokenPosition++);
        }
    }

    private void addPair(float[] hidden, int token, int position) {
        pendingHidden.add(hidden);
        pendingTokens.add(token);
        pendingPositions.add(position);
    }

    /** Drops last round's scratch rows and results, and picks up the drafter version for this round. */
    void beginRound() {
        version = versions.get();
        cache.truncate(contextRows);
        slots.clear();
        forwards = 0;
        ortNanos = 0;
    }

    int pendingPairs() {
        return pendingTokens.size();
    }

    /** Rows feeding every pending context pair; each sees the context before it and itself. */
    List<DraftRow> pendingPairRows() {
        List<DraftRow> rows = new ArrayList<>();
        int base = cache.length();
        for (int i = 0; i < pendingTokens.size(); i++) {
            rows.add(new DraftRow(pendingTokens.get(i), pendingHidden.get(i), 0, i, pendingPositions.get(i),
                    base + i + 1, new int[0]));
        }
        return rows;
    }

    /** Context rows the next call will have once the given number of leading pair rows is absorbed. */
    int contextRowsAfter(int pairRows) {
        return contextRows + pairRows;
    }

    int cacheLength() {
        return cache.length();
    }

    /**
     * Runs one drafter call. The first {@code pairRows} rows must be the pending pairs; they become context.
     * Returns the index into {@link #slot} of each row's result.
     */
    int[] run(List<DraftRow> rows, int pairRows) {
        int base = cache.length();
        DrafterOutput out = model.forward(rows, cache, version.adapter());
        forwards++;
        ortNanos += out.runNanos();
        cache.appendAll(out.present(), rows.size());
        if (pairRows > 0) {
            contextRows += pairRows;
            pendingHidden.clear();
            pendingTokens.clear();
            pendingPositions.clear();
        }
        int[] ids = new int[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            DraftRow r = rows.get(i);
            int[] visible = i < pairRows ? new int[0] : r.extra();
            slots.add(new SlotResult(base + i, r.position(), out.hiddenRow(i), out.topIds(i), out.topLogprobs(i),
                    out.rankClass(i), out.rankProbs(i), visible));
            ids[i] = slots.size() - 1;
        }
        return ids;
    }

    SlotResult slot(int index) {
        return slots.get(index);
    }

    /** This round's slot hidden states, indexed like {@link #slot}: tree node origins point here. */
    float[][] slotHidden() {
        float[][] h = new float[slots.size()][];
        for (int i = 0; i < h.length; i++) {
            h[i] = slots.get(i).hidden();
        }
        return h;
    }

    long versionId() {
        return version.id();
    }

    /**
     * Rows for a block of {@code length} slots anchored at {@code token}, inheriting the hidden state and
     * visibility of the slot that predicted it. Row offsets start at {@code callOffset} within the call.
     */
    List<DraftRow> expansionBlock(SlotResult from, int token, int length, int callOffset, int callBase) {
        List<DraftRow> rows = new ArrayList<>();
        int[] visible = from.visible();
        for (int k = 0; k < length; k++) {
            int[] extra = Arrays.copyOf(visible, visible.length + k + 1);
            for (int j = 0; j <= k; j++) {
                extra[visible.length + j] = callBase + callOffset + j;
            }
            int shift = k == 0 ? callOffset : callOffset + k - 1;
            rows.add(new DraftRow(k == 0 ? token : 0, from.hidden(), k, shift, from.position() + 1 + k, contextRows,
                    extra));
        }
        return rows;
    }

    /** Slots 1..length-1 of the first block, anchored at the last pending pair (call row {@code anchorRow}). */
    List<DraftRow> firstBlockSlots(int anchorRow, int length, int callBase, int contextAfter) {
        List<DraftRow> rows = new ArrayList<>();
        float[] anchorHidden = pendingHidden.get(pendingHidden.size() - 1);
        int anchorPosition = pendingPositions.get(pendingPositions.size() - 1);
        for (int k = 1; k < length; k++) {
            int[] extra = new int[k];
            for (int j = 1; j <= k; j++) {
                extra[j - 1] = callBase + anchorRow + j;
            }
            rows.add(new DraftRow(0, anchorHidden, k, anchorRow + k - 1, anchorPosition + k, contextAfter, extra));
        }
        return rows;
    }

    int forwards() {
        return forwards;
    }

    long ortNanos() {
        return ortNanos;
    }
}
