package dev.specserve.controller.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code bin/specserve}. */
@Command(name = "specserve", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Self-adapting speculative decoding server: a SpecBlock drafter verified by an ONNX target.",
        subcommands = {ServeCommand.class, TrainerCommand.class, GenerateCommand.class, ParityCommand.class,
                ImportOptimumCommand.class, TokenizeCommand.class, BenchCommand.class, LoadCommand.class, AdaptBenchCommand.class,
                AdapterSweepCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println(cmd.getColorScheme().errorText("error: " + e.getMessage()));
            return 2;
        });
        return cli.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
