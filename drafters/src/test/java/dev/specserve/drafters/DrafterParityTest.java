package dev.specserve.drafters;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.runtime.manifest.DrafterPrecision;
import dev.specserve.runtime.ort.ExecutionDevice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DrafterParityTest {
    static ModelStack stack;

    @BeforeAll
    static void open() {
        stack = ModelStack.load(Stack.modelDir(), ExecutionDevice.AUTO, 2, DrafterPrecision.FP32); // the goldens' file
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

    @Test
    void theInt8DrafterDraftsPyTorchsFirstTokenInEverySlotThoughItsLogprobsMove() {
        DrafterParity.Report report;
        try (ModelStack int8 = ModelStack.load(Stack.modelDir(), ExecutionDevice.CPU, 2, DrafterPrecision.INT8)) {
            report = DrafterParity.run(int8);
        }

        assertThat(report.top1Matches()).as("first draft of every slot, both adapters").isTrue();
        assertThat(report.cases()).allSatisfy(c -> assertThat(c.maxLogprobDiff())
                .as("int8 weights do change the log-probs (else this would not test the int8 file)").isGreaterThan(1e-3));
    }
}
