package dev.specserve.runtime.ort;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ArenasTest {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();

    @Test
    void pinnedOutputsAreShapedBatchBySeqByRowAndViewTheArenasMemory() throws Exception {
        OutputArena arena = new OutputArena(List.of(
                new OutputArena.Output("logits", new long[] {5}),
                new OutputArena.Output("ids", new long[] {2}, true)));
        Map<String, OnnxTensor> pinned = arena.pin(env, 2, 3);
        try {
            assertThat(pinned.get("logits").getInfo().getShape()).containsExactly(2, 3, 5);
            assertThat(pinned.get("ids").getInfo().getShape()).containsExactly(2, 3, 2);
            arena.view(0, 4, 1).put(new float[] {1, 2, 3, 4, 5});      // row (b=1, s=1)
            assertThat(pinned.get("logits").getFloatBuffer().get(4 * 5 + 2)).isEqualTo(3f);
        } finally {
            pinned.values().forEach(OnnxTensor::close);
        }
        assertThat(arena.copy(0, 4, 1)).containsExactly(1, 2, 3, 4, 5);
        assertThat(arena.copyLongs(1, 0, 6)).hasSize(12);
    }

    @Test
    void aLargerForwardGrowsTheBuffersAndASmallerOneReusesThem() throws Exception {
        OutputArena arena = new OutputArena(List.of(new OutputArena.Output("h", new long[] {3})));
        arena.pin(env, 1, 2).values().forEach(OnnxTensor::close);
        Map<String, OnnxTensor> big = arena.pin(env, 4, 100);
        assertThat(big.get("h").getInfo().getShape()).containsExactly(4, 100, 3);
        big.values().forEach(OnnxTensor::close);
        Map<String, OnnxTensor> small = arena.pin(env, 1, 1);
        assertThat(small.get("h").getInfo().getShape()).containsExactly(1, 1, 3);
        small.values().forEach(OnnxTensor::close);
    }

    @Test
    void inputTensorsHoldExactlyTheirValuesWhenTheBufferIsReusedForAShorterInput() throws Exception {
        InputArena arena = new InputArena();
        try (OnnxTensor t = arena.floats(env, "mask", new float[] {1, 2, 3, 4, 5, 6}, new long[] {2, 3})) {
            assertThat(t.getFloatBuffer().array()).containsExactly(1, 2, 3, 4, 5, 6);
        }
        try (OnnxTensor t = arena.floats(env, "mask", new float[] {9, 8, 7, 6}, 1, 2, new long[] {1, 2})) {
            assertThat(t.getInfo().getShape()).containsExactly(1, 2);
            assertThat(t.getFloatBuffer().array()).containsExactly(8, 7);
        }
        try (OnnxTensor t = arena.longs(env, "ids", new int[] {3, 1, 2}, new long[] {1, 3})) {
            assertThat(t.getLongBuffer().array()).containsExactly(3L, 1L, 2L);
        }
    }
}
