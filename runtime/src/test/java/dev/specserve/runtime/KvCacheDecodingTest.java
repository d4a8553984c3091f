package dev.specserve.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.runtime.model.GreedyDecoder;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class KvCacheDecodingTest {
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
    void decodingWithTheKvCacheEqualsRecomputingTheWholeSequence() {
        int[] prompt = models.tokenizer.encode("import os\nimport sys\n\ndef main(argv):\n    ");
        GreedyDecoder decoder = new GreedyDecoder(models.target);

        List<GreedyDecoder.Step> cached = decoder.decode(prompt, 16);
        List<GreedyDecoder.Step> recomputed = decoder.decodeWithoutCache(prompt, 16);

        for (int s = 0; s < cached.size(); s++) {
            assertThat(cached.get(s).token()).as("token %d", s).isEqualTo(recomputed.get(s).token());
            float[] a = cached.get(s).logits();
            float[] b = recomputed.get(s).logits();
            double max = 0;
            for (int v = 0; v < a.length; v++) {
                max = Math.max(max, Math.abs(a[v] - b[v]));
            }
            assertThat(max).as("max |logit diff| at step %d", s).isLessThan(1e-4);
        }
    }
}
