package dev.specserve.drafters;

import dev.specserve.runtime.kv.KvCache;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A sequence's drafter-side state shared by the SpecBlock and EAGLE strategies: the drafter's KV cache
 * (context rows, then this round's scratch rows), every context pair seen (those not yet fed are pending),
 * and the slot results of the current round. The state holds a lease on the ONNX session its cache came
 * from; when a full drafter swap brings a new session, the next round re-feeds the whole context to it.
 */
final class DrafterState implements AutoCloseable {
    /** Most padding rows a sequence may get in a batched drafter call (see {@link #byLength}). */
    static final int MAX_PADDING_ROWS = 24;
    private final Supplier<DrafterVersion> versions;
    private final int capacity;
    private DrafterVersion version;
    private DrafterModelHandle leased;
    private SpecBlockModel model;
    private KvCache cache;
    private final List<float[]> pairHidden = new ArrayList<>();
    private final List<Integer> pairTokens = new ArrayList<>();
    private final List<Integer> pairPositions = new ArrayList<>();
    private final List<SlotResult> slots = new ArrayList<>();
    private int contextRows;
    private int skippedPairs;
    private final int maxCatchUp;
    private int nextTokenPosition;
    private int forwards;
    private long ortNanos;
    private int rebuilds;

    DrafterState(Supplier<DrafterVersion> versions, int capacity) {
        this(versions, capacity, Integer.MAX_VALUE);
    }

    /**
     * @param maxCatchUp the most pending context pairs one call feeds; older pending pairs are skipped (the
     *                   drafter then never attends to them), which bounds the cost of the first call after a
     *                   planner left the model idle for many rounds
     */
    DrafterState(Supplier<DrafterVersion> versions, int capacity, int maxCatchUp) {
        this.versions = versions;
        this.capacity = capacity;
        this.maxCatchUp = maxCatchUp;
        this.version = leaseCurrent();
        this.leased = version.model();
        this.model = leased.model();
        this.cache = model.newCache(capacity);
    }

    /** The current version, with a lease taken on its session (retried if a swap retires it meanwhile). */
    private DrafterVersion leaseCurrent() {
        while (true) {
            DrafterVersion v = versions.get();
            if (v.model().tryAcquire()) {
                return v;
            }
        }
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
        pairHidden.add(hidden);
        pairTokens.add(token);
        pairPositions.add(position);
    }

    /** Drops last round's scratch rows and results, and picks up the drafter version for this round. */
    void beginRound() {
        version = versions.get();
        if (version.model() != leased) {
            switchSession();
        }
        cache.truncate(contextRows);
        slots.clear();
        forwards = 0;
        ortNanos = 0;
    }

    /** A full drafter swap happened: lease the new session and make every context pair pending again. */
    private void switchSession() {
        version = leaseCurrent();
        if (version.model() == leased) {
            leased.release();
            return;
        }
        model.recycle(cache);
        leased.release();
        leased = version.model();
        model = leased.model();
        cache = model.newCache(capacity);
        contextRows = 0;
        skippedPairs = 0;
        rebuilds++;
    }

    int pendingPairs() {
        return pairTokens.size() - skippedPairs - contextRows;
    }

    /** Rows feeding every pending context pair; each sees the context before it and itself. */
    List<DraftRow> pendingPairRows() {
        if (pendingPairs() > maxCatchUp) {
            skippedPairs += pendingPairs() - maxCatchUp;
        }
        List<DraftRow> rows = new ArrayList<>();
        int base = cache.length();
        for (int i = 0; i < pendingPairs(); i++) {
            int pair = skippedPairs + contextRows + i;
            rows.add(new DraftRow(pairTokens.get(pair), pairHidden.get(pair), 0, i, pairPositions.get(pair),
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
        return runAll(List.of(this), List.of(rows), new int[] {pairRows})[0];
    }

    /**
     * {@link #run} for several sequences' states in as few calls as possible: states on the same drafter session
     * and adapter share one batched call. Returns each state's slot indices, in the order given.
     */
    static int[][] runAll(List<DrafterState> states, List<List<DraftRow>> rows, int[] pairRows) {
        record Group(SpecBlockModel model, Adapter adapter) {}
        Map<Group, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < states.size(); i++) {
            DrafterState st = states.get(i);
            groups.computeIfAbsent(new Group(st.model, st.version.adapter()), g -> new ArrayList<>()).add(i);
        }
        int[][] ids = new int[states.size()][];
        groups.forEach((g, members) -> {
            for (List<Integer> call : byLength(members, rows)) {
                List<List<DraftRow>> callRows = new ArrayList<>(call.size());
                List<KvCache> caches = new ArrayList<>(call.size());
                for (int i : call) {
                    callRows.add(rows.get(i));
                    caches.add(states.get(i).cache);
                }
                DrafterOutput[] outs = g.model().forward(callRows, caches, g.adapter());
                for (int j = 0; j < call.size(); j++) {
                    int i = call.get(j);
                    ids[i] = states.get(i).absorb(outs[j], rows.get(i), pairRows[i]);
                }
            }
        });
        return ids;
    }

    /**
     * Splits the members into calls whose rows are within {@link #MAX_PADDING_ROWS} of the call's longest, longest
     * first: padding is computed like real rows, so a sequence catching up on a whole prompt (hundreds of
     * context pairs) gets its own call instead of padding every other sequence of the round to its length.
     */
    static List<List<Integer>> byLength(List<Integer> members, List<List<DraftRow>> rows) {
        List<Integer> sorted = new ArrayList<>(members);
        sorted.sort((x, y) -> Integer.compare(rows.get(y).size(), rows.get(x).size()));
        List<List<Integer>> calls = new ArrayList<>();
        int longest = -1;
        for (int i : sorted) {
            if (calls.isEmpty() || longest - rows.get(i).size() > MAX_PADDING_ROWS) {
                calls.add(new ArrayList<>());
                longest = rows.get(i).size();
            }
            calls.get(calls.size() - 1).add(i);
        }
        return calls;
    }

    private int[] absorb(DrafterOutput out, List<DraftRow> rows, int pairRows) {
        int base = cache.length();
        forwards++;
        ortNanos += out.runNanos();
        out.appendTo(cache);
        contextRows += pairRows;
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
        float[] anchorHidden = pairHidden.get(pairHidden.size() - 1);
        int anchorPosition = pairPositions.get(pairPositions.size() - 1);
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

    /** Rounds that had to re-feed the context to a newly swapped-in session. */
    int rebuilds() {
        return rebuilds;
    }

    @Override
    public void close() {
        if (leased != null) {
            model.recycle(cache); // before the lease goes: a retired session may close once it is released
            cache = null;
            leased.release();
            leased = null;
        }
    }
}
