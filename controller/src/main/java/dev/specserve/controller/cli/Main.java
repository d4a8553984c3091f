package dev.specserve.controller.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code bin/specserve}. */
@Command(name = "specserve", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Self-adapting speculative decoding server: a SpecBlock drafter verified by an ONNX target.",
        subcommands = {ServeCommand.class, TrainerCommand.class, GenerateCommand.class, ParityCommand.class,
                ImportOptimumCommand.class, TokenizeCommand.class, LookupCorpusCommand.class, BenchCommand.class, LoadCommand.class, AdaptBenchCommand.class,
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
            if (e instanceof java.nio.file.FileSystemException || e instanceof java.io.FileNotFoundException) {
                // a path the user gave that cannot be read or written: the path and the reason say it all
                cmd.getErr().println(cmd.getColorScheme().errorText("error: " + fileProblem((java.io.IOException) e)));
            } else if (expected(e)) {
                cmd.getErr().println(cmd.getColorScheme().errorText("error: " + e.getMessage()));
            } else { // a bug or an environment problem: its type and stack say more than "error: -1"
                cmd.getErr().println(cmd.getColorScheme().errorText("error: " + e));
                e.printStackTrace(cmd.getErr());
            }
            return 2;
        });
        return cli.execute(args);
    }

    /** One line naming the path and what is wrong with it, for an I/O error on a file or directory. */
    static String fileProblem(java.io.IOException e) {
        if (e instanceof java.nio.file.NoSuchFileException f) {
            return "no such file or directory: " + f.getFile();
        }
        if (e instanceof java.nio.file.AccessDeniedException f) {
            return "permission denied: " + f.getFile();
        }
        if (e instanceof java.nio.file.FileSystemException f) {
            return f.getReason() == null ? "cannot access " + f.getFile() : f.getFile() + ": " + f.getReason();
        }
        return "cannot open " + e.getMessage(); // FileNotFoundException: "PATH (reason)"
    }

    /** Refusals whose message already names the problem (bad flags, settings, manifests, requests). */
    private static boolean expected(Exception e) {
        return e instanceof IllegalArgumentException || e instanceof IllegalStateException
                || e instanceof java.io.UncheckedIOException || e instanceof dev.specserve.runtime.manifest.ManifestException
                || e instanceof dev.specserve.controller.config.ConfigException
                || e instanceof dev.specserve.runtime.spec.InvalidRequestException;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
