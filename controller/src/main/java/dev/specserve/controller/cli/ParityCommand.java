package dev.specserve.controller.cli;

import dev.specserve.drafters.DrafterParity;
import dev.specserve.drafters.ModelStack;
import dev.specserve.runtime.parity.GoldenParity;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "parity", mixinStandardHelpOptions = true,
        description = "Re-run every golden prompt: exit 0 only if Java's greedy tokens equal PyTorch's and logits "
                + "agree within the manifest tolerance (1e-4); the drafter's block outputs are checked too.")
final class ParityCommand implements Callable<Integer> {
    @Mixin
    ModelOptions models;

    @Override
    public Integer call() {
        try (ModelStack stack = models.load()) {
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
            boolean ok = target.passed();
            if (stack.hasDrafter()) {
                DrafterParity.Report drafter = DrafterParity.run(stack);
                for (DrafterParity.CaseResult c : drafter.cases()) {
                    System.out.printf("drafter  adapter=%-7s top-k ids %-6s max |dlogprob| %.2e%n", c.adapter(),
                            c.topIdsMatch() ? "equal" : "DIFFER", c.maxLogprobDiff());
                }
                ok &= drafter.passed(target.tolerance());
            }
            System.out.println(ok ? "parity: PASS (tolerance " + target.tolerance() + ")" : "parity: FAIL");
            return ok ? 0 : 1;
        }
    }
}
