package dev.specserve.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.controller.config.ConfigKey;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ServeCommandTest {
    @Test
    void serve_help_documents_every_setting_with_its_flag_environment_variable_and_default() {
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(out));

        int code = cli.execute("serve", "--help");

        assertThat(code).isZero();
        String help = out.toString();
        assertThat(help).contains("--config=FILE", "flag > environment > file > default", "429");
        for (ConfigKey k : ConfigKey.values()) {
            assertThat(help).contains(k.flag(), k.env(), k.key());
        }
        assertThat(help).as("the broker's data, which a restart replays, and how to start fresh")
                .contains("SPECSERVE_DATA", "SPECSERVE_DATA/kafka", "--kafka-bootstrap none");
    }

    static String serveErrors(String... args) {
        return CliErrors.of("serve", args);
    }

    @Test
    void a_bad_setting_stops_serve_before_loading_models_with_an_error_naming_it() {
        assertThat(serveErrors("--max-batch", "none", "--models", "/does/not/exist"))
                .contains("'max_batch'", "--max-batch", "none");
    }

    @Test
    void an_unknown_default_strategy_is_refused_naming_the_strategy_setting() {
        assertThat(serveErrors("--strategy", "telepathy", "--models", "/does/not/exist")).contains("'strategy' (from flag --strategy)", "telepathy", "specblock");
    }

    @Test
    void logged_urls_bracket_ipv6_literals_and_turn_wildcard_binds_into_loopback() {
        assertThat("http://" + ServeBanner.urlHost("::1") + ":18104").isEqualTo("http://[::1]:18104");
        assertThat(ServeBanner.urlHost("::")).isEqualTo("[::1]");
        assertThat(ServeBanner.urlHost("[fe80::1]")).isEqualTo("[fe80::1]");
        assertThat(ServeBanner.urlHost("0.0.0.0")).isEqualTo("127.0.0.1");
        assertThat(ServeBanner.urlHost("127.0.0.1")).isEqualTo("127.0.0.1");
        assertThat(ServeBanner.urlHost("api.example")).isEqualTo("api.example");
        assertThat(java.net.URI.create("http://" + ServeBanner.urlHost("fe80::1") + ":8000/v1/completions").getPort())
                .isEqualTo(8000);
        assertThat(ServeBanner.hostPort("::1", 7000)).isEqualTo("[::1]:7000");
        assertThat(ServeBanner.hostPort("127.0.0.1", 7000)).isEqualTo("127.0.0.1:7000");
    }
}
