package dev.specserve.controller.server;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.core.metrics.Info;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The Maven version and the git commit this build was made from, read from {@code build-info.properties}
 * (filtered by the build, see controller/pom.xml). Shown by {@code specserve --version}, in {@code /v1/models}
 * and on {@code /metrics} as {@code specserve_build_info{commit="...",version="..."} 1}.
 *
 * <p>{@code commit} is the abbreviated hash, with {@code -dirty} when the checkout had uncommitted changes, and
 * {@code unknown} when the build had no git checkout (e.g. a Docker build context).
 */
public record BuildInfo(String version, String commit) implements MeterBinder {
    private static final String RESOURCE = "/dev/specserve/controller/build-info.properties";
    private static final BuildInfo CURRENT = load();

    public static BuildInfo current() {
        return CURRENT;
    }

    /** "specserve 0.1.0 (commit 1a2b3c4)". */
    public String describe() {
        return "specserve " + version + " (commit " + commit + ")";
    }

    /**
     * Registers {@code specserve_build_info}. On a Prometheus registry this is a Prometheus info metric: a
     * Micrometer gauge cannot carry that name there, because the Prometheus client strips a trailing
     * {@code _info} from gauge names (it would render {@code specserve_build}).
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        String help = "Build of the running server: Maven version and git commit";
        if (registry instanceof PrometheusMeterRegistry prometheus) {
            Info.builder().name("specserve_build_info").help(help).labelNames("version", "commit")
                    .register(prometheus.getPrometheusRegistry())
                    .addLabelValues(version, commit);
        } else {
            Gauge.builder("specserve.build_info", () -> 1).description(help + " (always 1)")
                    .tag("version", version).tag("commit", commit).register(registry);
        }
    }

    static BuildInfo load() {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream(RESOURCE)) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
        String version = value(p, "version", "dev");
        String commit = value(p, "commit", "unknown");
        if (!commit.equals("unknown") && Boolean.parseBoolean(p.getProperty("dirty"))) {
            commit += "-dirty";
        }
        return new BuildInfo(version, commit);
    }

    /** A property, or {@code fallback} when absent or left unfiltered ("${...}": no git at build time). */
    private static String value(Properties p, String key, String fallback) {
        String v = p.getProperty(key, "").trim();
        return v.isEmpty() || v.startsWith("${") ? fallback : v;
    }
}
