package dev.specserve.drafters;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DrafterParityTest {
    static ModelStack stack;

    @BeforeAll
    static void open() {
        stack = Stack.load();
    }

    @AfterAll
    static void close() {
        stack.close();
    }

    @Test
    void drafterBlockOutputsMatchPyTorchWithAndWithoutAnAdapter() {
        DrafterParity.Report report = DrafterParity.run(stack);

        assertThat(report.cases()).hasSize(2);
        for (DrafterParity.CaseResult c : report.cases()) {
            assertThat(c.topIdsMatch()).as("top-k ids with the %s adapter", c.adapter()).isTrue();
            assertThat(c.maxLogprobDiff()).as("max |log-prob diff| with the %s adapter", c.adapter()).isLessThan(1e-4);
        }
        float zero = report.cases().get(0).topLogprobs()[0][0];
        float adapted = report.cases().get(1).topLogprobs()[0][0];
        assertThat(adapted).as("the adapter, a graph input, changes the drafter's output").isNotEqualTo(zero);
    }
}
