package dev.specserve.controller.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
        dev.specserve.controller.logging.LogSettings.applyOrExit(System.getenv()); // before the first logger exists
        System.exit(run(args));
    }

    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setUseSimplifiedAtFiles(true); // @LIST: one argument per line, so a path may hold spaces
        cli.setParameterExceptionHandler(Main::badArguments);
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            boolean json = dev.specserve.controller.logging.LogSettings.json();
            if (e instanceof java.nio.file.FileSystemException || e instanceof java.io.FileNotFoundException) {
                // a path the user gave that cannot be read or written: the path and the reason say it all
                fatal(cmd, fileProblem((java.io.IOException) e), null, json);
            } else if (expected(e)) {
                fatal(cmd, e.getMessage(), null, json);
            } else { // a bug or an environment problem: its type and stack say more than "error: -1"
                fatal(cmd, e.toString(), e, json);
            }
            return 2;
        });
        return cli.execute(args);
    }

    /** The error that ends a command, as text, or with SPECSERVE_LOG_FORMAT=json as one JSON line like the log's. */
    private static void fatal(CommandLine cmd, String message, Exception stack, boolean json) {
        if (json) {
            io.vertx.core.json.JsonObject line = new io.vertx.core.json.JsonObject()
                    .put("timestamp", System.currentTimeMillis()).put("level", "ERROR").put("threadName", "main")
                    .put("loggerName", "specserve").put("formattedMessage", "error: " + message);
            if (stack != null) {
                java.io.StringWriter trace = new java.io.StringWriter();
                stack.printStackTrace(new java.io.PrintWriter(trace));
                line.put("throwable", trace.toString());
            }
            cmd.getErr().println(line.encode());
            return;
        }
        cmd.getErr().println(cmd.getColorScheme().errorText("error: " + message));
        if (stack != null) {
            stack.printStackTrace(cmd.getErr());
        }
    }

    /**
     * A command line that does not parse: the problem and a hint to --help, not the whole usage (serve's is over 300
     * lines, which scrolls the error away). An option that no command has is reported even where picocli found
     * another problem first: a mistyped required flag is otherwise reported as the flag missing, and the typo is
     * never named.
     */
    private static int badArguments(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        java.io.PrintWriter err = cmd.getErr();
        CommandLine.ParameterException shown = e;
        if (!(e instanceof CommandLine.UnmatchedArgumentException)) {
            List<String> unknown = unknownOptions(cmd, args);
            if (!unknown.isEmpty()) {
                shown = new CommandLine.UnmatchedArgumentException(cmd, unknown);
            }
        }
        err.println(cmd.getColorScheme().errorText("error: " + shown.getMessage()));
        if (shown instanceof CommandLine.UnmatchedArgumentException u) {
            u.printSuggestions(err);
        }
        err.println("Run '" + cmd.getCommandSpec().qualifiedName() + " --help' for the options.");
        err.flush();
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }

    /** The arguments of {@code cmd} that look like options it does not have (option values are skipped). */
    static List<String> unknownOptions(CommandLine cmd, String[] args) {
        int from = 0;
        if (cmd.getParent() != null) { // the arguments after the subcommand's name
            from = Arrays.asList(args).indexOf(cmd.getCommandName()) + 1;
        }
        List<String> unknown = new ArrayList<>();
        for (int i = Math.max(from, 0); i < args.length; i++) {
            String a = args[i];
            if (a.equals("--")) {
                break;
            }
            if (!a.startsWith("-") || a.length() < 2 || !Character.isLetter(a.charAt(a.startsWith("--") ? Math.min(2,
                    a.length() - 1) : 1))) {
                continue; // a positional argument, or a negative number
            }
            String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            CommandLine.Model.OptionSpec o = cmd.getCommandSpec().findOption(name);
            if (o == null) {
                unknown.add(name);
            } else if (!a.contains("=") && o.arity().min() > 0) {
                i++; // its value, which may itself start with '-'
            }
        }
        return unknown;
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
