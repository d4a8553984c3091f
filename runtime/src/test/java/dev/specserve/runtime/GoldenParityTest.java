package dev.specserve.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.runtime.parity.GoldenParity;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class GoldenParityTest {
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
    void javaGreedyDecodingReproducesPyTorchTokenForToken() {
        GoldenParity.Report report = GoldenParity.run(models.manifest, models.target, models.tokenizer);

        assertThat(report.cases()).isNotEmpty();
        for (GoldenParity.CaseResult c : report.cases()) {
            assertThat(c.idsMatch()).as("Java tokenization of the %s prompt equals Python's", c.domain()).isTrue();
            assertThat(c.tokensMatch()).as("greedy tokens of the %s prompt (first mismatch at %d)", c.domain(),
                    c.firstMismatch()).isTrue();
            assertThat(c.maxLogitDiff()).as("max |logit diff| for the %s prompt", c.domain())
                    .isLessThanOrEqualTo(report.tolerance());
        }
    }
}
