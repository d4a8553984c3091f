package dev.specserve.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.runtime.kv.KvCache;
import dev.specserve.runtime.kv.KvPool;
import dev.specserve.runtime.manifest.ModelManifest;
import dev.specserve.runtime.model.Masks;
import dev.specserve.runtime.model.TargetModel;
import dev.specserve.runtime.model.TargetOutput;
import dev.specserve.runtime.spec.DraftTree;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The demo target's ragged-attention graph (GroupQueryAttention over each sequence's own rows, new rows written in
 * place) computes what the tree graph computes: the same logits, hidden states and new cache rows for a prefill
 * chunk, a tree, and a batch of plain steps over caches of different lengths, and leaves the live rows alone.
 */
class RaggedGraphTest {
    private static final double TOLERANCE = 1e-4;
    static LoadedModels models;
    static TargetModel treeOnly;

    @BeforeAll
    static void open() {
        models = new LoadedModels();
        ModelManifest.TargetInfo t = models.manifest.target();
        treeOnly = new TargetModel(models.sessions, new ModelManifest.TargetInfo(t.file(), t.contextLength(), t.vocab(),
                t.dim(), t.layers(), t.heads(), t.kvHeads(), t.headDim(), t.contract(), t.kvLayout(), t.inputs(),
                t.outputs(), null));
    }

    @AfterAll
    static void close() {
        treeOnly.close();
        models.close();
    }

    @Test
    void theDemoTargetServesItsRaggedGraphOnTheCpu() {
        assertThat(models.manifest.target().ragged()).isNotNull();
        assertThat(models.target.ragged()).isTrue();
        assertThat(treeOnly.ragged()).isFalse();
    }

    @Test
    void aPrefillChunkThenATreeGiveWhatTheTreeGraphGives() {
        int[] prompt = models.tokenizer.encode("def area(self):\n    \"\"\"Return the area.\"\"\"\n    return self.w * self.h\n");
        KvCache ragged = models.target.newCache(256);
        KvCache tree = treeOnly.newCache(256);
        int[] positions = range(0, prompt.length);
        TargetOutput r = models.target.forward(prompt, positions, Masks.causal(prompt.length, 0), ragged);
        TargetOutput t = treeOnly.forward(prompt, positions, Masks.causal(prompt.length, 0), tree);
        assertSame(r, t, prompt.length);
        assertThat(ragged.length()).as("a forward leaves the live rows alone").isZero();
        ragged.appendAll(r.present(), prompt.length);
        tree.appendAll(t.present(), prompt.length);

        // root -> {a -> {c, d}, b}: siblings and cousins must not see each other
        DraftTree draft = new DraftTree();
        int a = draft.add(DraftTree.ROOT, 21, -1, -1);
        draft.add(DraftTree.ROOT, 22, -2, -1);
        draft.add(a, 23, -3, -1);
        draft.add(a, 24, -4, -1);
        int root = models.tokenizer.encode("    ")[0];
        TargetOutput rt = models.target.forward(draft.verifyTokens(root), draft.verifyPositions(prompt.length),
                draft.verifyMask(prompt.length), ragged);
        TargetOutput tt = treeOnly.forward(draft.verifyTokens(root), draft.verifyPositions(prompt.length),
                draft.verifyMask(prompt.length), tree);
        assertSame(rt, tt, draft.size() + 1);
        assertThat(ragged.length()).isEqualTo(prompt.length);
    }

    @Test
    void aChunkAskedForItsLastRowsLogitsGetsThemAndEveryRowsCacheRows() {
        int[] prompt = models.tokenizer.encode("import sys\n\ndef main(argv):\n    return len(argv)\n");
        int n = prompt.length;
        TargetOutput all = models.target.forward(prompt, range(0, n), Masks.causal(n, 0), models.target.newCache(64));
        int[] other = models.tokenizer.encode("class Queue:\n    def __init__(self):\n        self.items = []\n");
        models.target.forward(other, range(0, other.length), Masks.causal(other.length, 0), models.target.newCache(64));
        // the output buffers now hold another prompt's rows: reading the kept logits from the wrong row shows
        TargetOutput last = models.target.forward(prompt, range(0, n), Masks.causal(n, 0), models.target.newCache(64), 2);
        for (int row = n - 2; row < n; row++) {
            for (int v = 0; v < all.vocab(); v++) {
                assertThat(last.logit(row, v)).isEqualTo(all.logit(row, v));
            }
        }
        assertThat(maxDiff(last.hidden(), all.hidden())).isZero();
        for (int i = 0; i < all.present().length; i++) {
            assertThat(last.present()[i].duplicate().limit(n * models.manifest.target().kvRowFloats()))
                    .isEqualTo(all.present()[i].duplicate().limit(n * models.manifest.target().kvRowFloats()));
        }
    }

    @Test
    void aBatchOfPlainStepsOverCachesOfDifferentLengthsGivesWhatTheTreeGraphGives() {
        String[] texts = {"import os\n", "class Stack:\n    def push(self, item):\n        self.items.append(item)\n",
                "for i in range(10):\n    print(i)\n", "x = 1\n"};
        KvPool raggedPool = models.target.newPool(texts.length, 256);
        KvPool treePool = treeOnly.newPool(texts.length, 256);
        List<TargetModel.BatchEntry> entries = new ArrayList<>();
        for (int s = 0; s < texts.length; s++) {
            int[] ids = models.tokenizer.encode(texts[s]);
            for (var pair : List.of(new Object[] {models.target, raggedPool}, new Object[] {treeOnly, treePool})) {
                TargetModel m = (TargetModel) pair[0];
                KvCache c = ((KvPool) pair[1]).acquire(s);
                c.appendAll(m.forward(ids, range(0, ids.length), Masks.causal(ids.length, 0), c).present(), ids.length);
            }
            entries.add(new TargetModel.BatchEntry(new int[] {30 + s}, new int[] {ids.length},
                    Masks.causal(1, ids.length)));
        }
        TargetOutput[] r = models.target.forwardBatch(entries, raggedPool);
        TargetOutput[] t = treeOnly.forwardBatch(entries, treePool);
        for (int s = 0; s < texts.length; s++) {
            assertSame(r[s], t[s], 1);
            assertThat(raggedPool.cacheAt(s).length()).isEqualTo(treePool.cacheAt(s).length());
        }
    }

    @Test
    void greedyDecodingOnEitherGraphWritesTheSameTokens() {
        int[] prompt = models.tokenizer.encode("def fibonacci(n):\n");
        assertThat(decode(models.target, prompt, 48)).isEqualTo(decode(treeOnly, prompt, 48));
    }

    private static int[] decode(TargetModel m, int[] prompt, int tokens) {
        KvCache cache = m.newCache(prompt.length + tokens + 1);
        TargetOutput out = m.forward(prompt, range(0, prompt.length), Masks.causal(prompt.length, 0), cache);
        cache.appendAll(out.present(), prompt.length);
        int[] ids = new int[tokens];
        for (int i = 0; i < tokens; i++) {
            ids[i] = out.argmax(out.rows() - 1);
            out = m.forward(new int[] {ids[i]}, new int[] {cache.length()}, Masks.causal(1, cache.length()), cache);
            cache.appendAll(out.present(), 1);
        }
        return ids;
    }

    @Test
    void aPrefillChunkOnTheWideSessionGivesWhatTheTreeGraphGivesAndOtherForwardsStayOff() {
        var wideSessions = new dev.specserve.runtime.ort.SessionFactory(dev.specserve.runtime.ort.ExecutionDevice.CPU, 1, 2);
        try (TargetModel wide = new TargetModel(wideSessions, models.manifest.target())) {
            assertThat(wide.hasWideSession()).isTrue();
            assertThat(models.target.hasWideSession()).as("2 threads for every session: no second one").isFalse();
            StringBuilder text = new StringBuilder();
            while (models.tokenizer.encode(text.toString()).length < TargetModel.WIDE_ROWS + 20) {
                text.append("    def area(self):\n        return self.w * self.h\n");
            }
            int[] prompt = models.tokenizer.encode(text.toString());
            int n = prompt.length;
            KvCache onWide = wide.newCache(256);
            KvCache tree = treeOnly.newCache(256);

            TargetOutput w = wide.prefill(prompt, range(0, n), onWide);
            TargetOutput t = treeOnly.forward(prompt, range(0, n), Masks.causal(n, 0), tree);
            assertThat(wide.wideForwards()).isEqualTo(1);
            double logits = 0;
            for (int v = 0; v < w.vocab(); v++) {
                logits = Math.max(logits, Math.abs(w.logit(n - 1, v) - t.logit(n - 1, v)));
            }
            assertThat(logits).as("the chunk's last row's logits").isLessThan(TOLERANCE);
            assertThat(maxDiff(w.hidden(), t.hidden())).as("hidden states").isLessThan(TOLERANCE);
            onWide.appendAll(w.present(), n);
            tree.appendAll(t.present(), n);
            TargetOutput step = wide.forward(new int[] {prompt[0]}, new int[] {n}, Masks.causal(1, n), onWide);
            assertSame(step, treeOnly.forward(new int[] {prompt[0]}, new int[] {n}, Masks.causal(1, n), tree), 1);
            wide.forward(prompt, range(n + 1, n), Masks.causal(n, n), onWide); // as wide as the chunk, but no prefill
            assertThat(wide.wideForwards()).as("a step, and a forward that is no prefill chunk, stay narrow").isEqualTo(1);
        }
    }

    private static void assertSame(TargetOutput r, TargetOutput t, int rows) {
        double logits = 0;
        for (int row = 0; row < rows; row++) {
            for (int v = 0; v < r.vocab(); v++) {
                logits = Math.max(logits, Math.abs(r.logit(row, v) - t.logit(row, v)));
            }
            assertThat(r.argmax(row)).isEqualTo(t.argmax(row));
        }
        assertThat(logits).as("logits").isLessThan(TOLERANCE);
        assertThat(maxDiff(r.hidden(), t.hidden())).as("hidden states").isLessThan(TOLERANCE);
        for (int i = 0; i < r.present().length; i++) {
            FloatBuffer a = r.present()[i].duplicate();
            FloatBuffer b = t.present()[i].duplicate();
            double d = 0;
            for (int k = 0; k < rows * models.manifest.target().kvRowFloats(); k++) {
                d = Math.max(d, Math.abs(a.get(k) - b.get(k)));
            }
            assertThat(d).as("new cache rows of tensor %d", i).isLessThan(TOLERANCE);
        }
    }

    private static double maxDiff(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < Math.min(a.length, b.length); i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }

    private static int[] range(int from, int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = from + i;
        }
        return r;
    }
}
