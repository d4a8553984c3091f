package dev.specserve.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

class ProcessMemoryMetricsTest {
    @Test
    @EnabledOnOs(OS.LINUX)
    void gaugesThisProcessAsTheKernelCountsIt() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new ProcessMemoryMetrics().bindTo(registry);
        System.gc(); // the registry must keep the binder it reads from

        double rss = registry.get("process.resident.memory").gauge().value();
        double virtual = registry.get("process.virtual.memory").gauge().value();
        long heapUsed = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        assertThat(rss).isGreaterThan(heapUsed / 2.0).isLessThan(virtual);
    }

    @Test
    void readsKilobytesAsBytes(@TempDir Path dir) throws Exception {
        Path status = dir.resolve("status");
        Files.writeString(status, "Name:\tjava\nVmSize:\t 9921516 kB\nVmRSS:\t  1150888 kB\nThreads:\t110\n");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new ProcessMemoryMetrics(status).bindTo(registry);

        assertThat(registry.get("process.resident.memory").gauge().value()).isEqualTo(1150888.0 * 1024);
        assertThat(registry.get("process.virtual.memory").gauge().value()).isEqualTo(9921516.0 * 1024);
    }

    @Test
    void registersNothingWithoutTheStatusFile(@TempDir Path dir) {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new ProcessMemoryMetrics(dir.resolve("missing")).bindTo(registry);

        assertThat(registry.getMeters()).isEmpty();
    }
}
