package dev.specserve.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.specserve.runtime.kv.KvPool;
import dev.specserve.runtime.manifest.ManifestException;
import dev.specserve.runtime.manifest.ManifestLoader;
import dev.specserve.runtime.manifest.ModelManifest;
import org.junit.jupiter.api.Test;

/** How much context a model serves, and a KV pool too large to reserve. */
class MaxModelLenTest {
    final ModelManifest demo = ManifestLoader.load(TestModels.dir());

    @Test
    void maxModelLenCapsTheContextAndZeroKeepsTheModelsOwn() {
        assertThat(demo.withMaxModelLen(256).target().contextLength()).isEqualTo(256);
        assertThat(demo.withMaxModelLen(0)).isSameAs(demo);
        assertThat(demo.withMaxModelLen(256).target().file()).isEqualTo(demo.target().file());
    }

    @Test
    void moreThanTheModelsContextOrLessThanZeroIsRefusedNamingBoth() {
        int own = demo.target().contextLength();

        assertThatThrownBy(() -> demo.withMaxModelLen(own + 1)).isInstanceOf(ManifestException.class)
                .hasMessageContaining("max_model_len " + (own + 1)).hasMessageContaining("context_length " + own);
        assertThatThrownBy(() -> demo.withMaxModelLen(-1)).isInstanceOf(ManifestException.class)
                .hasMessageContaining("max_model_len");
        assertThatThrownBy(() -> demo.withMaxModelLen(8)).as("too short to serve").isInstanceOf(ManifestException.class)
                .hasMessageContaining("at least 16");
    }

    @Test
    void aPoolOverTheTwoGibibytesABufferHoldsIsRefusedNamingWhatToLower() {
        // a Llama-3.2-1B-like cache (8 KV heads x 64) for 16 slots of a 128k context: 4 GiB per tensor
        assertThatThrownBy(() -> new KvPool(16, 8, 64, 16, 131_328)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("max_batch").hasMessageContaining("max_model_len");
    }
}
