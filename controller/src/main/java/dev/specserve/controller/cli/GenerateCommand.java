package dev.specserve.controller.cli;

import dev.specserve.drafters.ModelStack;
import dev.specserve.runtime.spec.Drafter;
import dev.specserve.runtime.spec.GenerationRequest;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.RoundListener;
import dev.specserve.runtime.spec.SamplingParams;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Complete one prompt and print the completion (statistics go to stderr).")
final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--prompt", required = true, description = "Prompt text.")
    String prompt;

    @Option(names = "--max-tokens", defaultValue = "64", description = "Tokens to generate (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--strategy", defaultValue = "auto",
            description = "auto, specblock, or for ablation none, ngram, suffix, eagle, specblock-static, specblock-fixed, hybrid "
                    + "(default: ${DEFAULT-VALUE}).")
    String strategy;

    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-p", defaultValue = "1", description = "Nucleus mass (default: ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--seed", defaultValue = "0", description = "Sampling seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--stop", description = "Stop string; repeatable.")
    List<String> stop = List.of();

    @Mixin
    ConstraintOptions constraint;

    @Mixin
    ModelOptions models;

    @Mixin
    DraftOptions draft;

    @Override
    public Integer call() throws java.io.IOException {
        draft.validate();
        if (prompt.isEmpty()) {
            throw new IllegalArgumentException("--prompt is empty");
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("--max-tokens must be at least 1, got " + maxTokens);
        }
        if (stop.stream().anyMatch(String::isEmpty)) {
            throw new IllegalArgumentException("--stop strings must not be empty");
        }
        var sampling = new SamplingParams(temperature, topP, seed).withGrammar(constraint.grammar());
        try (ModelStack stack = models.load()) {
            int[] ids = stack.tokenizer().encode(prompt);
            Drafter drafter = stack.strategy(strategy, draft.config());
            var request = new GenerationRequest(ids, maxTokens, sampling, stop,
                    drafter.defaultBudget(draft.budget()));
            GenerationResult r = stack.decoder().generate(request, drafter, RoundListener.NONE, () -> false);
            System.out.println(r.text());
            double decodeSeconds = (r.totalNanos() - r.prefillNanos()) / 1e9;
            System.err.printf("%d prompt + %d generated tokens, finish=%s, strategy=%s, %d rounds, tau=%.2f, "
                            + "%.1f tok/s decode%n", r.promptTokens(), r.tokens().length, r.finishReason().wire(),
                    strategy, r.rounds(), r.meanAcceptedLength(),
                    decodeSeconds > 0 && r.tokens().length > 1 ? (r.tokens().length - 1) / decodeSeconds : 0);
            return 0;
        }
    }
}
