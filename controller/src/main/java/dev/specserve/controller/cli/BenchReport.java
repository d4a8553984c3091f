package dev.specserve.controller.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.specserve.drafters.ForwardCosts;
import dev.specserve.drafters.ModelStack;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What {@code bench} prints (and writes with {@code --json}): the strategies' table, or the forward costs. */
final class BenchReport {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private BenchReport() {}

    /** {@code --costs}: printed, and written to {@code json} unless null. */
    static void costs(ModelStack stack, ForwardCosts.Costs c, Path json) throws IOException {
        int block = stack.manifest().drafter().blockSize();
        System.out.printf("after %d context tokens, medians of %d interleaved repeats: target decode step %.2f "
                        + "ms, 16-token verify %.2f ms (%.2fx a step), drafter block of %d slots %.2f ms after a "
                        + "verify (%.2fx a step; %.2f ms, %.2fx, right after another block)%n",
                c.pastTokens(), c.repeats(), c.targetStepMs(), c.verify16Ms(), c.verifyRatio(),
                block, c.drafterBlockMs(), c.drafterRatio(), c.drafterBlockWarmMs(), c.drafterWarmRatio());
        if (json != null) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("created", Instant.now().toString());
            doc.put("machine", Machine.describe(stack.sessions().device().name()));
            doc.put("models", stack.manifest().name());
            doc.put("context_tokens", c.pastTokens());
            doc.put("repeats", c.repeats());
            doc.put("target_step_ms", c.targetStepMs());
            doc.put("verify16_ms", c.verify16Ms());
            doc.put("verify16_ratio", c.verifyRatio());
            doc.put("drafter_block_slots", block);
            doc.put("drafter_block_ms", c.drafterBlockMs());
            doc.put("drafter_block_ratio", c.drafterRatio());
            doc.put("drafter_block_warm_ms", c.drafterBlockWarmMs());
            doc.put("drafter_block_warm_ratio", c.drafterWarmRatio());
            JSON.writeValue(json.toFile(), doc);
            System.err.println("bench: wrote " + json);
        }
    }

    /** The strategies side by side, one row each. */
    static void table(List<Map<String, Object>> rows) {
        System.out.printf("%-17s %9s %8s %6s %8s %9s %9s %6s %6s %6s %9s  %s%n", "strategy", "tok/s", "speedup", "tau",
                "fwd/rnd", "draft ms", "verify ms", "java%", "tree", "plain%", "identical", "acceptance per depth");
        for (Map<String, Object> r : rows) {
            StringBuilder acc = new StringBuilder();
            for (double a : (double[]) r.get("acceptance_per_depth")) {
                acc.append(String.format("%.2f ", a));
            }
            System.out.printf("%-17s %9.1f %8s %6.2f %8.2f %9.2f %9.2f %5.1f%% %6.1f %5.0f%% %9s  %s%n", r.get("strategy"),
                    (double) r.get("tokens_per_s"), r.get("speedup_vs_none") == null ? "-"
                            : String.format("%.2fx", (double) r.get("speedup_vs_none")),
                    (double) r.get("tau"), (double) r.get("drafter_forwards_per_round"),
                    (double) r.get("draft_ms_per_round"), (double) r.get("verify_ms_per_round"),
                    100 * (double) r.get("java_share_of_round"), (double) r.get("mean_tree_size"),
                    100 * (double) r.get("plain_round_share"),
                    r.get("identical_to_ar") == null ? "-" : r.get("identical_to_ar"), acc.toString().trim());
        }
    }
}
