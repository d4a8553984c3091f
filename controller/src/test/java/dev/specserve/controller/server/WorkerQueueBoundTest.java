package dev.specserve.controller.server;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.runtime.engine.QueueFullException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bodies parsed on a worker (large ones, every chat) are bounded like prompts waiting to be tokenized: the worker
 * pool's queue has no bound of its own, and each waiting task holds its body.
 */
class WorkerQueueBoundTest {
    static TestServer server;
    static Vertx vertx;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("bridge_port", "0"));
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stop() {
        vertx.close().await();
        server.close();
    }

    @Test
    void bodies_beyond_the_bound_waiting_for_a_worker_are_refused_with_429_and_the_bound_frees_as_they_finish()
            throws Exception {
        var registry = new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(
                io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
        Completions completions = new Completions(server.engine, new MetricsRecorder(registry), false,
                ChatTemplate.none("test"), 8, List.of("m"));
        CountDownLatch release = new CountDownLatch(1);
        List<Future<String>> held = new ArrayList<>();
        for (int i = 0; i < Completions.MIN_TOKENIZING; i++) { // 20 run on the pool's threads, the rest wait
            held.add(completions.onWorker(vertx, () -> {
                release.await();
                return "parsed";
            }));
        }

        Future<String> over = completions.onWorker(vertx, () -> "never");

        assertThat(over.failed()).isTrue();
        assertThat(over.cause()).isInstanceOf(QueueFullException.class)
                .hasMessageContaining("64 request bodies waiting to be parsed");
        assertThat(registry.scrape()).as("counted as every 429 is")
                .contains("specserve_requests_rejected_total{reason=\"queue_full\"} 1.0");
        release.countDown();
        for (Future<String> f : held) {
            assertThat(f.toCompletionStage().toCompletableFuture().get(30, SECONDS)).isEqualTo("parsed");
        }
        assertThat(completions.onWorker(vertx, () -> "again").toCompletionStage().toCompletableFuture()
                .get(30, SECONDS)).as("the bound is free again").isEqualTo("again");
    }
}
