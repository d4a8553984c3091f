package dev.specserve.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** With JSON logs, the error that stops a command is a JSON line too, so a log pipeline parses every line. */
class JsonStartupErrorTest {
    @Test
    void a_command_that_cannot_start_says_why_in_one_json_line() throws Exception {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setProperty("specserve.log.format", "json");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));

            int status = Main.run("serve", "--http-port", Integer.toString(taken.getLocalPort()), "--bridge-port", "0",
                    "--kafka-bootstrap", "none", "--device", "cpu");

            assertThat(status).isEqualTo(2);
        } finally {
            System.setErr(err);
            System.clearProperty("specserve.log.format");
        }
        String last = captured.toString(StandardCharsets.UTF_8).strip().lines().reduce((a, b) -> b).orElseThrow();
        JsonObject line = new JsonObject(last);
        assertThat(line.getString("level")).isEqualTo("ERROR");
        assertThat(line.getString("formattedMessage")).startsWith("error: cannot start HTTP API on 127.0.0.1:")
                .contains("http_port");
    }
}
