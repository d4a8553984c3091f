package dev.specserve.controller.cli;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.util.concurrent.TimeUnit;

/**
 * {@code GET /metrics} (Prometheus text) and {@code GET /health} for a process without the HTTP API, such as the
 * trainer: what it decides, trains and refuses is then scraped like every replica's.
 */
final class MetricsEndpoint implements AutoCloseable {
    private final Vertx vertx;
    private final HttpServer server;

    private MetricsEndpoint(Vertx vertx, HttpServer server) {
        this.vertx = vertx;
        this.server = server;
    }

    /** Listens on {@code host:port} (0: a free port), serving {@code registry} ({@code ProcessMeters.registry()}). */
    static MetricsEndpoint start(String host, int port, PrometheusMeterRegistry registry) {
        Vertx vertx = Vertx.vertx();
        HttpServer server = vertx.createHttpServer().requestHandler(req -> {
            switch (req.path()) {
                case "/metrics" -> req.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                        .end(registry.scrape());
                case "/health" -> req.response().putHeader("Content-Type", "application/json").end("{\"status\":\"ok\"}");
                default -> req.response().setStatusCode(404).end();
            }
        });
        try {
            server.listen(port, host).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            vertx.close();
            throw new IllegalStateException("cannot serve /metrics on " + host + ":" + port + ": "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), e);
        }
        return new MetricsEndpoint(vertx, server);
    }

    int port() {
        return server.actualPort();
    }

    @Override
    public void close() {
        vertx.close();
    }
}
