package dev.specserve.controller.server;

import dev.specserve.telemetry.ProcessMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/** A process's registry (serve's or the trainer's), born with what every process exports, whatever it does. */
public final class ProcessMeters {
    private ProcessMeters() {
    }

    /** A registry with the process's meters: JVM memory and threads, CPU, native memory, uptime, the build. */
    public static PrometheusMeterRegistry registry() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // Vert.x labels its HTTP meters with the request's method, and takes any token as one: a client sending
        // made-up methods, before any Host or key check, would add series without end
        registry.config().meterFilter(io.micrometer.core.instrument.config.MeterFilter.replaceTagValues("method",
                m -> HTTP_METHODS.contains(m) ? m : "OTHER"));
        for (var binder : new io.micrometer.core.instrument.binder.MeterBinder[] {new JvmMemoryMetrics(),
                new JvmThreadMetrics(), new ProcessorMetrics(), new ProcessMemoryMetrics(), new UptimeMetrics(),
                BuildInfo.current()}) {
            binder.bindTo(registry);
        }
        return registry;
    }

    /** The methods HTTP meters are labelled with; any other is counted as {@code OTHER}. */
    private static final java.util.Set<String> HTTP_METHODS = java.util.Set.of("GET", "HEAD", "POST", "PUT", "DELETE",
            "OPTIONS", "PATCH", "TRACE", "CONNECT");
}
