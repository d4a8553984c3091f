package dev.specserve.controller.adapt;

import dev.specserve.drafters.DrafterVersion;
import dev.specserve.telemetry.DrafterUpdate;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A version this process made current but could not publish (the broker was unreachable) is published again every
 * few seconds for as long as it stays current here: the topic's last record is what every process serves, so a
 * version that never reaches it splits the fleet until the next change. One that stops being current (the fleet or
 * this process made another current) is not published late, which would undo that change everywhere.
 * Counted in {@value #FAILURES}; {@value #UNANNOUNCED} is 1 while a version waits.
 */
final class PendingAnnouncement implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PendingAnnouncement.class);
    /** Rendered by Prometheus as {@code specserve_drafter_updates_publish_failures_total}. */
    static final String FAILURES = "specserve.drafter_updates.publish_failures";
    /** Rendered as {@code specserve_drafter_updates_unannounced}. */
    static final String UNANNOUNCED = "specserve.drafter_updates.unannounced";

    private final String drafterId;
    private final Supplier<DrafterVersion> current;
    private final BiConsumer<DrafterVersion, DrafterUpdate.Kind> publish;
    private final ScheduledExecutorService retries;
    private final MeterRegistry registry;
    private final Counter failures;
    private final Gauge waiting;
    private DrafterVersion version; // guarded by this
    private DrafterUpdate.Kind kind;
    private int attempts;

    PendingAnnouncement(String drafterId, Supplier<DrafterVersion> current,
                        BiConsumer<DrafterVersion, DrafterUpdate.Kind> publish, MeterRegistry registry, Duration every) {
        this.drafterId = drafterId;
        this.current = current;
        this.publish = publish;
        this.registry = registry;
        this.failures = Counter.builder(FAILURES).tag("drafter", drafterId)
                .description("Drafter versions made current here that could not be published to the fleet's topic "
                        + "(each attempt; retried while the version stays current)").register(registry);
        this.waiting = Gauge.builder(UNANNOUNCED, this, PendingAnnouncement::waiting).tag("drafter", drafterId)
                .description("1 while a version current here has not reached the fleet's topic").register(registry);
        this.retries = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "specserve-updates-announcer");
            t.setDaemon(true);
            return t;
        });
        retries.scheduleWithFixedDelay(this::retry, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Publishes {@code v} now; when that fails it throws, and {@code v} is retried while it stays current. */
    synchronized void publish(DrafterVersion v, DrafterUpdate.Kind k) {
        version = null;
        try {
            publish.accept(v, k);
        } catch (RuntimeException e) {
            version = v;
            kind = k;
            attempts = 1;
            failures.increment();
            throw e;
        }
    }

    synchronized double waiting() {
        return version == null ? 0 : 1;
    }

    private synchronized void retry() {
        if (version == null) {
            return;
        }
        if (current.get() != version) {
            LOG.info("drafter {} version {} ({}) is no longer current here: not published late", drafterId,
                    version.id(), kind);
            version = null;
            return;
        }
        try {
            publish.accept(version, kind);
            LOG.info("drafter {} version {} ({}) reached the fleet after {} failed attempts", drafterId, version.id(),
                    kind, attempts);
            version = null;
        } catch (RuntimeException e) {
            failures.increment();
            if (attempts++ % 12 == 0) {
                LOG.warn("drafter {} version {} ({}) still not published after {} attempts: {}", drafterId,
                        version.id(), kind, attempts, e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        retries.shutdownNow();
        registry.remove(failures);
        registry.remove(waiting);
    }
}
