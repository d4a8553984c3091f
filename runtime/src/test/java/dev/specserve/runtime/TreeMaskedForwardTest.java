package dev.specserve.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.runtime.kv.KvCache;
import dev.specserve.runtime.model.Masks;
import dev.specserve.runtime.model.TargetOutput;
import dev.specserve.runtime.spec.DraftTree;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TreeMaskedForwardTest {
    static LoadedModels models;

    @BeforeAll
    static void open() {
        models = new LoadedModels();
    }

    @AfterAll
    static void close() {
        models.close();
    }

    @Test
    void verifyingATreeInOneForwardEqualsRunningEachPathOnItsOwn() {
        int[] prompt = models.tokenizer.encode("class Point:\n    def __init__(self, x, y):\n");
        int root = models.tokenizer.encode("        ")[0];
        // root -> {a -> {c, d -> g}, b -> {e, f}}
        DraftTree tree = new DraftTree();
        int a = tree.add(DraftTree.ROOT, 11, -1, -1);
        int b = tree.add(DraftTree.ROOT, 12, -2, -1);
        tree.add(a, 13, -3, -1);
        int d = tree.add(a, 14, -4, -1);
        tree.add(b, 15, -5, -1);
        tree.add(b, 16, -6, -1);
        tree.add(d, 17, -7, -1);

        KvCache cache = prefilled(prompt);
        TargetOutput treeOut = models.target.forward(tree.verifyTokens(root), tree.verifyPositions(prompt.length),
                tree.verifyMask(prompt.length), cache);

        for (int node = DraftTree.ROOT; node < tree.size(); node++) {
            int[] path = tree.path(node);
            int[] linear = new int[path.length + 1];
            linear[0] = root;
            for (int i = 0; i < path.length; i++) {
                linear[i + 1] = tree.token(path[i]);
            }
            int[] positions = new int[linear.length];
            for (int i = 0; i < positions.length; i++) {
                positions[i] = prompt.length + i;
            }
            TargetOutput pathOut = models.target.forward(linear, positions, Masks.causal(linear.length, prompt.length),
                    prefilled(prompt));
            int vocab = treeOut.vocab();
            double max = 0;
            for (int v = 0; v < vocab; v++) {
                max = Math.max(max, Math.abs(treeOut.logit(node + 1, v) - pathOut.logit(linear.length - 1, v)));
            }
            assertThat(max).as("node %d: tree logits vs its own path's logits", node).isLessThan(1e-4);
        }
    }

    @Test
    void aPrefillChunkKeepingOnlyItsLastRowsLogitsReturnsExactlyThoseRowsAndTheSameRest() {
        int[] prompt = models.tokenizer.encode("def area(r):\n    return 3.14159 * r * r\n");
        int n = prompt.length;
        int[] positions = new int[n];
        for (int i = 0; i < n; i++) {
            positions[i] = i;
        }
        KvCache cache = models.target.newCache(n + 4);
        TargetOutput all = models.target.forward(prompt, positions, Masks.causal(n, 0), cache);
        float[] allHidden = all.hidden().clone();
        float[] lastRow = new float[all.vocab()];
        for (int v = 0; v < lastRow.length; v++) {
            lastRow[v] = all.logit(n - 1, v);
        }
        TargetOutput last = models.target.forward(prompt, positions, Masks.causal(n, 0), cache, 1);

        assertThat(last.logits()).hasSize(last.vocab()).containsExactly(lastRow);
        assertThat(last.argmax(n - 1)).isEqualTo(all.argmax(n - 1));
        assertThat(last.hidden()).containsExactly(allHidden);
        assertThat(last.present()[0].remaining()).isEqualTo(n * models.target.info().kvRowFloats());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> last.logit(n - 2, 0))
                .hasMessageContaining("row " + (n - 2) + " has no logits");
    }

    private KvCache prefilled(int[] prompt) {
        KvCache cache = models.target.newCache(prompt.length + 16);
        int[] positions = new int[prompt.length];
        for (int i = 0; i < positions.length; i++) {
            positions[i] = i;
        }
        TargetOutput out = models.target.forward(prompt, positions, Masks.causal(prompt.length, 0), cache);
        cache.appendAll(out.present(), prompt.length);
        return cache;
    }
}
