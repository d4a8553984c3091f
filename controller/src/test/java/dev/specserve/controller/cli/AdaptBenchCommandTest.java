package dev.specserve.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class AdaptBenchCommandTest {
    @Test
    void bursty_runs_its_own_client_levels_so_clients_is_refused_before_models_load() {
        assertThat(errors("--scenario", "bursty", "--clients", "1", "--models", "/does/not/exist"))
                .contains("--clients", "bursty");
    }

    @Test
    void fewer_than_one_client_is_refused_naming_the_option() {
        assertThat(errors("--clients", "0", "--models", "/does/not/exist")).contains("--clients must be >= 1");
    }

    static String errors(String... args) {
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            String[] full = new String[args.length + 1];
            full[0] = "adapt-bench";
            System.arraycopy(args, 0, full, 1, args.length);
            assertThat(Main.run(full)).as("exit code").isNotZero();
        } finally {
            System.setErr(saved);
        }
        return err.toString(StandardCharsets.UTF_8);
    }
}
