package dev.specserve.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs one {@code bin/specserve} command that must refuse its arguments (exit code 2), and returns what it wrote to stderr. */
final class CliErrors {
    private CliErrors() {}

    static String of(String command, String... args) {
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            String[] full = new String[args.length + 1];
            full[0] = command;
            System.arraycopy(args, 0, full, 1, args.length);
            assertThat(Main.run(full)).as("exit code").isEqualTo(2);
        } finally {
            System.setErr(saved);
        }
        return err.toString(StandardCharsets.UTF_8);
    }
}
