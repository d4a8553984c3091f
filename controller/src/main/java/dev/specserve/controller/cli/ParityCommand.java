package dev.specserve.controller.cli;

import dev.specserve.drafters.DrafterParity;
import dev.specserve.drafters.ModelStack;
import dev.specserve.runtime.manifest.DrafterPrecision;
import dev.specserve.runtime.parity.GoldenParity;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "parity", mixinStandardHelpOptions = true,
        description = "Re-run every golden prompt: exit 0 only if Java's greedy tokens equal PyTorch's and logits "
                + "agree within the manifest tolerance (1e-4); the drafter's block outputs are checked too, and an "
                + "int8 drafter the manifest names must draft PyTorch's first token in every slot.")
final class ParityCommand implements Callable<Integer> {
    @Mixin
    ModelOptions models;

    @Override
    public Integer call() {
        boolean ok;
        boolean int8;
        try (ModelStack stack = models.load(DrafterPrecision.FP32)) { // the goldens are the full-precision files'
            if (stack.manifest().golden() == null) {
                System.err.println("parity: model '" + stack.manifest().name() + "' has no goldens in its manifest "
                        + "(an import-optimum directory has none; models/export-hf.py records them)");
                return 2;
            }
            GoldenParity.Report target = GoldenParity.run(stack.manifest(), stack.target(), stack.tokenizer());
            System.out.printf("%-8s %-10s %-10s %-14s %s%n", "domain", "prompt ids", "tokens", "max |dlogit|", "result");
            for (GoldenParity.CaseResult c : target.cases()) {
                System.out.printf("%-8s %-10s %-10s %-14.2e %s%n", c.domain(), c.idsMatch() ? "equal" : "DIFFER",
                        c.tokensMatch() ? "equal" : "DIFFER@" + c.firstMismatch(), c.maxLogitDiff(),
                        c.passed(target.tolerance()) ? "ok" : "FAIL");
            }
            ok = target.passed();
            if (stack.hasDrafter()) {
                ok &= drafter("drafter", DrafterParity.run(stack), true, target.tolerance());
            }
            System.out.println(ok ? "parity: PASS (tolerance " + target.tolerance() + ")" : "parity: FAIL");
            int8 = stack.hasDrafter() && stack.manifest().drafter().int8File() != null;
        }
        if (int8) {
            try (ModelStack stack = models.load(DrafterPrecision.INT8)) {
                boolean top1 = drafter("int8", DrafterParity.run(stack), false, 0);
                System.out.println(top1 ? "parity: int8 drafter PASS (first draft of every slot equal)"
                        : "parity: int8 drafter FAIL");
                ok &= top1;
            }
        }
        return ok ? 0 : 1;
    }

    /** Prints the drafter's cases; exact: top-k ids equal and log-probs within tolerance, else first drafts equal. */
    private static boolean drafter(String label, DrafterParity.Report report, boolean exact, double tolerance) {
        for (DrafterParity.CaseResult c : report.cases()) {
            System.out.printf("%-8s adapter=%-7s top-k ids %-6s first drafts %-6s max |dlogprob| %.2e%n", label,
                    c.adapter(), c.topIdsMatch() ? "equal" : "DIFFER", c.top1Match() ? "equal" : "DIFFER",
                    c.maxLogprobDiff());
        }
        return exact ? report.passed(tolerance) : report.top1Matches();
    }
}
