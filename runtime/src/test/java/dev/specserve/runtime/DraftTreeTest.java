package dev.specserve.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.runtime.model.Masks;
import dev.specserve.runtime.spec.DraftTree;
import org.junit.jupiter.api.Test;

class DraftTreeTest {
    @Test
    void depthsAndPositionsFollowTheParents() {
        DraftTree t = new DraftTree();
        int a = t.add(DraftTree.ROOT, 5, -0.1f, -1);
        int b = t.add(a, 6, -0.3f, -1);
        int c = t.add(DraftTree.ROOT, 7, -1.0f, -1);

        assertThat(new int[] {t.depth(a), t.depth(b), t.depth(c)}).containsExactly(1, 2, 1);
        assertThat(t.verifyTokens(9)).containsExactly(9, 5, 6, 7);
        assertThat(t.verifyPositions(100)).containsExactly(100, 101, 102, 101);
        assertThat(t.path(b)).containsExactly(a, b);
    }

    @Test
    void eachNodeAttendsToTheCacheTheRootItsAncestorsAndItselfOnly() {
        DraftTree t = new DraftTree();
        int a = t.add(DraftTree.ROOT, 5, -0.1f, -1);
        t.add(a, 6, -0.3f, -1);
        t.add(DraftTree.ROOT, 7, -1.0f, -1);
        int past = 2;
        float[] m = t.verifyMask(past);
        int cols = past + 4;
        String[] expected = {
            "11" + "1000",   // root
            "11" + "1100",   // a
            "11" + "1110",   // b under a
            "11" + "1001",   // c
        };
        for (int r = 0; r < 4; r++) {
            StringBuilder row = new StringBuilder();
            for (int col = 0; col < cols; col++) {
                row.append(m[r * cols + col] == 0f ? '1' : '0');
            }
            assertThat(row.toString()).as("row %d", r).isEqualTo(expected[r]);
        }
        assertThat(m[1]).isZero();
        assertThat(m[3]).isEqualTo(Masks.BLOCKED);
    }

    @Test
    void pruningKeepsTheBestNodesAndEveryAncestorOfThem() {
        DraftTree t = new DraftTree();
        int a = t.add(DraftTree.ROOT, 1, -0.5f, -1);
        int b = t.add(a, 2, -0.6f, -1);
        t.add(DraftTree.ROOT, 3, -3.0f, -1);
        t.add(b, 4, -0.7f, -1);
        t.add(a, 5, -2.0f, -1);

        DraftTree pruned = t.prune(3);

        assertThat(pruned.size()).isEqualTo(3);
        assertThat(pruned.verifyTokens(0)).containsExactly(0, 1, 2, 4);
        assertThat(pruned.parent(2)).isEqualTo(1);
    }
}
