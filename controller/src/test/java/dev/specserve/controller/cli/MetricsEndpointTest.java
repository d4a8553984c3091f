package dev.specserve.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** The trainer's /metrics: what its registry counts, scraped as Prometheus scrapes a replica. */
class MetricsEndpointTest {
    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void serves_the_registrys_meters_and_the_processs_with_a_health_answer() throws Exception {
        PrometheusMeterRegistry registry = dev.specserve.controller.server.ProcessMeters.registry(); // as the trainer's
        registry.counter("specserve.bandit.decisions", "arm", "WAIT").increment(3);
        try (MetricsEndpoint endpoint = MetricsEndpoint.start("127.0.0.1", 0, registry)) {
            HttpResponse<String> metrics = get(endpoint.port(), "/metrics");
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("specserve_bandit_decisions_total{arm=\"WAIT\"} 3.0")
                    .contains("jvm_memory_used_bytes").contains("process_resident_memory_bytes")
                    .contains("specserve_build_info{");
            assertThat(get(endpoint.port(), "/health").statusCode()).isEqualTo(200);
            assertThat(get(endpoint.port(), "/v1/completions").statusCode()).isEqualTo(404);
        }
    }

    @Test
    void a_port_in_use_is_named() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (MetricsEndpoint first = MetricsEndpoint.start("127.0.0.1", 0, registry)) {
            assertThatThrownBy(() -> MetricsEndpoint.start("127.0.0.1", first.port(), registry))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("127.0.0.1:" + first.port());
        }
    }
}
