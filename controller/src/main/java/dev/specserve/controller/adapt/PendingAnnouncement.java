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
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import java.util.function.LongPredicate;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A version this process made current but could not publish (the broker was unreachable) is published again every
 * {@link #RETRY_EVERY} for as long as it stays current here: the topic's last record is what every process serves,
 * so a version that never reaches it splits the fleet until the next change. Before a late publish, this process
 * first reads the topic up to its end as the broker has it now, so a newer version another process published
 * meanwhile is applied here (and this one dropped) rather than undone everywhere. Counted in {@value #FAILURES};
 * {@value #UNANNOUNCED} is 1 while a version waits (read without a lock: a scrape never waits for a publish).
 */
final class PendingAnnouncement implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PendingAnnouncement.class);
    /** Rendered by Prometheus as {@code specserve_drafter_updates_publish_failures_total}. */
    static final String FAILURES = "specserve.drafter_updates.publish_failures";
    /** Rendered as {@code specserve_drafter_updates_unannounced}. */
    static final String UNANNOUNCED = "specserve.drafter_updates.unannounced";
    static final Duration RETRY_EVERY = Duration.ofSeconds(5);

    /** A version waiting to be published, and the fresh catch-up asked for before (0: not asked yet). */
    private record Waiting(DrafterVersion version, DrafterUpdate.Kind kind, int attempts, long catchUp) {}

    private final String drafterId;
    private final Supplier<DrafterVersion> current;
    private final BiConsumer<DrafterVersion, DrafterUpdate.Kind> publish;
    private final LongSupplier requestCatchUp;
    private final LongPredicate caughtUpWith;
    private final AtomicReference<Waiting> waiting = new AtomicReference<>();
    /** Held across each publish (never by the gauge): publishes reach the topic in the order they were made. */
    private final Object publishing = new Object();
    private final ScheduledExecutorService retries;
    private final MeterRegistry registry;
    private final Counter failures;
    private final Gauge unannounced;

    PendingAnnouncement(String drafterId, Supplier<DrafterVersion> current,
                        BiConsumer<DrafterVersion, DrafterUpdate.Kind> publish, LongSupplier requestCatchUp,
                        LongPredicate caughtUpWith, MeterRegistry registry) {
        this.drafterId = drafterId;
        this.current = current;
        this.publish = publish;
        this.requestCatchUp = requestCatchUp;
        this.caughtUpWith = caughtUpWith;
        this.registry = registry;
        this.failures = Counter.builder(FAILURES).tag("drafter", drafterId)
                .description("Drafter versions made current here that could not be published to the fleet's topic "
                        + "(each attempt; retried while the version stays current)").register(registry);
        this.unannounced = Gauge.builder(UNANNOUNCED, waiting, w -> w.get() == null ? 0 : 1).tag("drafter", drafterId)
                .description("1 while a version current here has not reached the fleet's topic").register(registry);
        this.retries = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "specserve-updates-announcer");
            t.setDaemon(true);
            return t;
        });
        long ms = RETRY_EVERY.toMillis();
        retries.scheduleWithFixedDelay(this::retry, ms, ms, TimeUnit.MILLISECONDS);
    }

    /** Publishes {@code v} now; when that fails it throws, and {@code v} is retried while it stays current. */
    void publish(DrafterVersion v, DrafterUpdate.Kind kind) {
        synchronized (publishing) {
            waiting.set(null); // a newer change supersedes whatever waited
            try {
                publish.accept(v, kind);
            } catch (RuntimeException e) {
                failures.increment();
                waiting.set(new Waiting(v, kind, 1, 0));
                throw e;
            }
        }
    }

    private void retry() {
        Waiting w = waiting.get();
        if (w == null) {
            return;
        }
        if (current.get() != w.version()) {
            LOG.info("drafter {} version {} ({}) is no longer current here: not published late", drafterId,
                    w.version().id(), w.kind());
            waiting.compareAndSet(w, null);
            return;
        }
        if (w.catchUp() == 0) { // first read what the fleet published meanwhile
            waiting.compareAndSet(w, new Waiting(w.version(), w.kind(), w.attempts(), requestCatchUp.getAsLong()));
            return;
        }
        if (!caughtUpWith.test(w.catchUp())) {
            return;
        }
        synchronized (publishing) { // one publish at a time, so a late one cannot land after a newer change's
            if (waiting.get() != w || current.get() != w.version()) {
                return;
            }
            publishLate(w);
        }
    }

    private void publishLate(Waiting w) {
        try {
            publish.accept(w.version(), w.kind());
            waiting.compareAndSet(w, null);
            LOG.info("drafter {} version {} ({}) reached the fleet after {} failed attempts", drafterId,
                    w.version().id(), w.kind(), w.attempts());
        } catch (RuntimeException e) {
            failures.increment();
            if (w.attempts() % 12 == 0) {
                LOG.warn("drafter {} version {} ({}) still not published after {} attempts: {}", drafterId,
                        w.version().id(), w.kind(), w.attempts() + 1, e.getMessage());
            }
            // read the topic's end again before the next try: the fleet may move on while this one fails
            waiting.compareAndSet(w, new Waiting(w.version(), w.kind(), w.attempts() + 1, 0));
        }
    }

    @Override
    public void close() {
        retries.shutdownNow();
        registry.remove(failures);
        registry.remove(unannounced);
    }
}
