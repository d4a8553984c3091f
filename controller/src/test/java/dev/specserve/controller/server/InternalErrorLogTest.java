package dev.specserve.controller.server;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.specserve.controller.config.ConfigLoader;
import dev.specserve.controller.config.ServerConfig;
import dev.specserve.drafters.DrafterConfig;
import dev.specserve.drafters.ModelStack;
import dev.specserve.runtime.engine.Engine;
import dev.specserve.runtime.ort.ExecutionDevice;
import dev.specserve.runtime.spec.DraftSession;
import dev.specserve.runtime.spec.Drafter;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A request the engine fails with a fault is answered 500 with an incident id, and the log has that fault once:
 * one ERROR line naming the incident and the request, with the stack (it was three lines, two stacks, and the
 * one with the incident id did not name the request). The engine serves on.
 */
class InternalErrorLogTest {
    @Test
    void a_fault_is_one_error_line_with_the_incident_the_request_and_the_stack() throws Exception {
        AtomicBoolean broken = new AtomicBoolean();
        ServerConfig config = ConfigLoader.load(null, Map.of(), Map.of("http_port", "0", "bridge_port", "0",
                "device", "cpu", "strategy", "none"));
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        root.addAppender(logs);
        Vertx vertx = Vertx.vertx();
        try (ModelStack stack = ModelStack.load(TestServer.modelDir(), ExecutionDevice.CPU, 2)) {
            Drafter none = stack.strategy("none", DrafterConfig.expanding());
            Drafter flaky = new Drafter() {
                @Override
                public String name() {
                    return "none";
                }

                @Override
                public DraftSession newSession() {
                    if (broken.get()) {
                        throw new IllegalStateException("injected: the drafter's session cannot open");
                    }
                    return none.newSession();
                }
            };
            try (Engine engine = new Engine(stack.target(), stack.tokenizer(), name -> flaky, List.of("none"), "m",
                    () -> 0, config.toEngineConfig());
                 SpecserveServer server = SpecserveServer.start(config, engine)) {
                TestServer.awaitCondition(engine::ready, Duration.ofSeconds(60), "engine ready");
                WebClient client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
                        .setDefaultPort(server.httpPort()));
                JsonObject body = new JsonObject().put("prompt", "def main():").put("max_tokens", 4);
                broken.set(true);
                logs.list.clear();

                HttpResponse<Buffer> failed = client.post("/v1/completions").sendJsonObject(body).await(30, SECONDS);
                broken.set(false);
                HttpResponse<Buffer> after = client.post("/v1/completions").sendJsonObject(body).await(30, SECONDS);

                assertThat(failed.statusCode()).isEqualTo(500);
                String message = failed.bodyAsJsonObject().getJsonObject("error").getString("message");
                String incident = message.replaceAll("^internal error (\\S+) .*$", "$1");
                String id = failed.getHeader("X-Request-Id");
                List<ILoggingEvent> withStacks;
                synchronized (logs) { // other threads of this JVM log too: only this fault's stacks count
                    withStacks = logs.list.stream().filter(e -> e.getThrowableProxy() != null
                            && String.valueOf(e.getThrowableProxy().getMessage()).startsWith("injected")).toList();
                }
                assertThat(withStacks).as("the fault's stack, once").hasSize(1);
                assertThat(withStacks.get(0).getLevel().toString()).isEqualTo("ERROR");
                assertThat(withStacks.get(0).getFormattedMessage()).contains(incident, id);
                assertThat(after.statusCode()).as("the engine serves on").isEqualTo(200);
            }
        } finally {
            root.detachAppender(logs);
            vertx.close().await();
        }
    }
}
