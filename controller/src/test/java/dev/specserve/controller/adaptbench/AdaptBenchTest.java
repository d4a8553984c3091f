package dev.specserve.controller.adaptbench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.controller.TestModels;
import dev.specserve.drafters.ModelStack;
import dev.specserve.runtime.ort.ExecutionDevice;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A tiny scenario through the real demo pair: what every policy run reports, and what it leaves out. */
class AdaptBenchTest {

    @Test
    @SuppressWarnings("unchecked")
    void aPolicyRunReportsItsRateTheMachinesSpeedAroundItAndItsRoundsSplitByPlainAndDrafted() throws Exception {
        List<String> prompts = BenchPrompts.load("python-stream.jsonl").subList(0, 3);
        List<AdaptBench.Phase> phases = List.of(new AdaptBench.Phase("A", prompts, 2));
        try (ModelStack stack = ModelStack.load(TestModels.dir(), ExecutionDevice.CPU, 2)) {
            AdaptBench bench = new AdaptBench(stack, 12, "specblock-fixed", new PrintStream(OutputStream.nullOutputStream()));
            AdaptBench.PolicyRun stat = bench.run("static", phases);
            AdaptBench.PolicyRun periodic = bench.run("periodic-1", phases);

            Map<String, Object> r = stat.results();
            assertThat((double) r.get("net_tokens_per_s")).isPositive();
            assertThat((List<Double>) r.get("probe_tokens_per_s")).hasSize(2).allSatisfy(p -> assertThat(p).isPositive());
            assertThat((double) r.get(RepeatSummary.NORMALISED)).isPositive();
            Map<String, Object> a = (Map<String, Object>) ((Map<String, Object>) r.get("rounds_per_phase")).get("A");
            assertThat(a).containsKeys("tau", "tau_drafted", "plain_share", "draft_ms", "verify_ms");
            assertThat((double) a.get("plain_share")).as("specblock-fixed drafts every round but a request's last, "
                    + "when one token is left (a draft could not be emitted)").isLessThan(0.15);
            assertThat(stat.timeline().phases()).as("the probe's rounds stay out of the timeline")
                    .extracting(Timeline.PhaseSpan::name).containsExactly("A");
            assertThat(r.get("failed_requests")).isEqualTo(0L);
            assertThat(periodic.results().get("updates"))
                    .as("an update after every finished request but the last, which nothing follows to gain from it")
                    .isEqualTo(2);
            assertThat(periodic.outputsDifferingFrom(stat)).as("updates never change greedy output").isZero();
        }
    }
}
