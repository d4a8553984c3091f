package dev.specserve.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** What load's --url accepts: the server root, however a user is likely to write it, or a refusal naming --url. */
class LoadUrlTest {
    @Test
    void host_and_port_without_a_scheme_mean_http() {
        assertThat(LoadCommand.serverRoot("127.0.0.1:18101")).isEqualTo("http://127.0.0.1:18101");
        assertThat(LoadCommand.serverRoot("localhost:8000")).isEqualTo("http://localhost:8000");
        assertThat(LoadCommand.serverRoot("https://h.example:443/")).isEqualTo("https://h.example:443");
    }

    @Test
    void the_completions_endpoint_or_v1_base_url_is_taken_back_to_the_root_so_the_path_is_not_doubled() {
        assertThat(LoadCommand.serverRoot("http://127.0.0.1:18101/v1/completions")).isEqualTo("http://127.0.0.1:18101");
        assertThat(LoadCommand.serverRoot("http://127.0.0.1:18101/v1/")).isEqualTo("http://127.0.0.1:18101");
        assertThat(LoadCommand.serverRoot("http://proxy/specserve")).isEqualTo("http://proxy/specserve");
    }

    @Test
    void what_is_not_a_server_root_is_refused_naming_the_flag() {
        assertThatThrownBy(() -> LoadCommand.serverRoot("ftp://h:21")).hasMessageContaining("--url must be http(s)://");
        assertThatThrownBy(() -> LoadCommand.serverRoot("http://")).hasMessageContaining("--url");
        assertThatThrownBy(() -> LoadCommand.serverRoot("http://h:1/v1/chat/completions"))
                .hasMessageContaining("--url must be the server root");
        assertThatThrownBy(() -> LoadCommand.serverRoot("http://h :1")).hasMessageContaining("--url")
                .hasMessageContaining("'http://h :1'");
    }

    @Test
    void load_given_host_port_only_goes_to_that_server() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        assertThat(CliErrors.of("load", "--url", "127.0.0.1:" + port, "--requests", "1"))
                .contains("cannot connect to http://127.0.0.1:" + port + " ").doesNotContain("Illegal character");
    }
}
