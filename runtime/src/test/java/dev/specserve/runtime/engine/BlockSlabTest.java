package dev.specserve.runtime.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BlockSlabTest {
    @Test
    void handsOutEachSlotOnceUntilReleasedAndThenReusesIt() {
        BlockSlab slab = new BlockSlab(1, 4, 0, 2, 3);
        int a = slab.acquire();
        int b = slab.acquire();
        int c = slab.acquire();
        assertThat(new int[] {a, b, c}).doesNotHaveDuplicates();
        assertThat(slab.acquire()).as("all three in use").isEqualTo(-1);

        slab.release(b);
        assertThat(slab.used()).isEqualTo(2);
        assertThat(slab.acquire()).isEqualTo(b);
        assertThat(slab.allocatedBytes()).isEqualTo(3 * 8 * Float.BYTES);
    }

    @Test
    void slotsDoNotOverlap() {
        BlockSlab slab = new BlockSlab(1, 2, 0, 2, 2);
        int a = slab.acquire();
        int b = slab.acquire();
        slab.view(a, 0, 4).put(new float[] {1, 2, 3, 4});
        slab.view(b, 0, 4).put(new float[] {5, 6, 7, 8});
        float[] got = new float[4];
        slab.view(a, 0, 4).get(got);
        assertThat(got).containsExactly(1, 2, 3, 4);
    }

    @Test
    void releasingASlotNotInUseIsRefused() {
        BlockSlab slab = new BlockSlab(1, 2, 0, 2, 2);
        int a = slab.acquire();
        slab.release(a);
        assertThatThrownBy(() -> slab.release(a)).hasMessageContaining("slot " + a + " was not in use");
        assertThatThrownBy(() -> slab.release(7)).hasMessageContaining("not in use");
    }
}
