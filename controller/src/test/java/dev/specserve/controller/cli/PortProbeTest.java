package dev.specserve.controller.cli;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.specserve.controller.config.ConfigLoader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** serve names a taken port before it loads the models, not after they have warmed up. */
class PortProbeTest {
    @Test
    void a_port_another_process_listens_on_is_named_with_its_setting() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            assertThatThrownBy(() -> PortProbe.requireFree(ConfigLoader.load(null, Map.of(),
                    Map.of("http_port", Integer.toString(port), "bridge_port", "0"))))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("HTTP API on 127.0.0.1:" + port).hasMessageContaining("http_port");
            assertThatThrownBy(() -> PortProbe.requireFree(ConfigLoader.load(null, Map.of(),
                    Map.of("http_port", "0", "bridge_port", Integer.toString(port)))))
                    .hasMessageContaining("bridge_port");
        }
    }

    @Test
    void free_and_any_ports_pass_and_stay_free_for_the_servers() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            port = s.getLocalPort();
        }
        Map<String, String> flags = Map.of("http_port", Integer.toString(port), "bridge_port", "0");
        assertThatCode(() -> PortProbe.requireFree(ConfigLoader.load(null, Map.of(), flags))).doesNotThrowAnyException();
        try (ServerSocket after = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
            // bound again: the probe let go of it
        }
    }
}
