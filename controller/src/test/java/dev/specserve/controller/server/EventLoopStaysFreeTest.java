package dev.specserve.controller.server;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 14: a prompt just under the 1 MiB body limit used to be tokenized on the HTTP event loop (2.5-4 s),
 * stalling /health and every other request. Now its size alone refuses it, and tokenization runs on a worker.
 * /health must keep answering quickly while several such posts are being refused.
 */
class EventLoopStaysFreeTest {
    static TestServer server;
    static Vertx clientVertx;
    static Vertx probeVertx;
    static WebClient heavy;
    static WebClient probe;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        clientVertx = Vertx.vertx();
        probeVertx = Vertx.vertx(); // its own event loops: the flood's client side cannot delay the probe
        WebClientOptions o = new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(server.httpPort());
        heavy = WebClient.create(clientVertx, new WebClientOptions(o));
        probe = WebClient.create(probeVertx, new WebClientOptions(o).setKeepAlive(true));
    }

    @AfterAll
    static void stop() {
        heavy.close();
        probe.close();
        clientVertx.close().await();
        probeVertx.close().await();
        server.close();
    }

    /** Code-like text that tokenizes slowly (many distinct words), just under the body limit once JSON-encoded. */
    static String bigPrompt(long seed) {
        Random r = new Random(seed);
        StringBuilder b = new StringBuilder();
        while (b.length() < HttpApiVerticle.BODY_LIMIT * 85 / 100) { // JSON escapes each newline: stay under the limit
            b.append("value_").append(r.nextInt(100_000)).append(" = compute(").append(r.nextInt(1000)).append(")\n");
        }
        return b.toString();
    }

    @Test
    void health_answers_within_50_ms_while_prompts_near_one_mebibyte_are_refused() throws Exception {
        List<Buffer> bodies = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            bodies.add(new JsonObject().put("prompt", bigPrompt(i)).put("max_tokens", 8).toBuffer());
        }
        // warm the probe connection and the big-post path
        assertThat(probe.get("/health").send().await(10, SECONDS).statusCode()).isEqualTo(200);
        HttpResponse<Buffer> first = post(bodies.get(0)).await(60, SECONDS);
        assertThat(first.statusCode()).isEqualTo(400);
        assertThat(first.bodyAsJsonObject().getJsonObject("error").getString("param")).isEqualTo("prompt");

        AtomicBoolean flooding = new AtomicBoolean(true);
        AtomicInteger refused = new AtomicInteger();
        AtomicInteger other = new AtomicInteger();
        List<Future<?>> posters = new ArrayList<>();
        for (int c = 0; c < 3; c++) {
            Buffer body = bodies.get(c);
            posters.add(flood(body, flooding, refused, other));
        }
        List<Double> latencies = new ArrayList<>();
        try {
            Thread.sleep(300); // the flood is under way
            for (int i = 0; i < 15; i++) {
                long t0 = System.nanoTime();
                HttpResponse<Buffer> h = probe.get("/health").send().await(10, SECONDS);
                latencies.add((System.nanoTime() - t0) / 1e6);
                assertThat(h.statusCode()).isEqualTo(200);
                Thread.sleep(40);
            }
        } finally {
            flooding.set(false);
            Future.all(posters).await(60, SECONDS);
        }
        latencies.sort(Double::compare);
        double median = latencies.get(latencies.size() / 2);
        assertThat(refused.get()).as("big prompts refused during the probes").isGreaterThanOrEqualTo(6);
        assertThat(other.get()).as("big posts answered anything but 400 prompt").isZero();
        System.out.printf("/health under big posts: median %.1f ms, all %s; %d big posts refused%n", median, latencies,
                refused.get());
        assertThat(median).as("median /health latency (ms) under the flood; all: %s", latencies).isLessThan(50);
    }

    static Future<HttpResponse<Buffer>> post(Buffer body) {
        return heavy.post("/v1/completions").putHeader("Content-Type", "application/json").sendBuffer(body);
    }

    /** Posts {@code body} again and again until told to stop, counting 400s naming the prompt. */
    static Future<Void> flood(Buffer body, AtomicBoolean go, AtomicInteger refused, AtomicInteger other) {
        if (!go.get()) {
            return Future.succeededFuture();
        }
        return post(body).compose(r -> {
            if (r.statusCode() == 400 && "prompt".equals(r.bodyAsJsonObject().getJsonObject("error").getString("param"))) {
                refused.incrementAndGet();
            } else {
                other.incrementAndGet();
            }
            // a few big posts in flight at any time, not a CPU-saturating storm: the old code stalled the event loop
            // 2.5-4 s on EACH of them, so even this pace froze /health completely
            io.vertx.core.Promise<Void> pause = io.vertx.core.Promise.promise();
            clientVertx.setTimer(100, t -> pause.complete());
            return pause.future().compose(v -> flood(body, go, refused, other));
        });
    }
}
