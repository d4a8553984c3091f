package dev.specserve.telemetry;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The whole process's memory as the kernel counts it, under the Prometheus client's standard names:
 * {@code process_resident_memory_bytes} and {@code process_virtual_memory_bytes}. The JVM's own gauges see the
 * heap and direct buffers only; ONNX Runtime's tensors and arenas, the JIT's code and malloc's heaps show up here
 * alone. Read from {@code /proc/self/status}, so Linux only: elsewhere nothing is registered.
 */
public final class ProcessMemoryMetrics implements MeterBinder {
    private final Path status;

    public ProcessMemoryMetrics() {
        this(Path.of("/proc/self/status"));
    }

    ProcessMemoryMetrics(Path status) {
        this.status = status;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        if (read("VmRSS").isEmpty()) {
            return;
        }
        Gauge.builder("process.resident.memory", this, m -> m.read("VmRSS").orElse(-1))
                .baseUnit("bytes").description("Resident set size of the whole process (kernel's VmRSS)")
                .strongReference(true).register(registry); // nothing else holds this binder: a weak one reads NaN
        Gauge.builder("process.virtual.memory", this, m -> m.read("VmSize").orElse(-1))
                .baseUnit("bytes").description("Virtual memory size of the whole process (kernel's VmSize)")
                .strongReference(true).register(registry);
    }

    /** The field {@code key} of the status file in bytes (the kernel writes kB), or empty where it is missing. */
    OptionalLong read(String key) {
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith(key + ":")) {
                    String[] parts = line.substring(key.length() + 1).trim().split("\\s+");
                    return OptionalLong.of(Long.parseLong(parts[0]) * 1024);
                }
            }
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
        return OptionalLong.empty();
    }
}
