package dev.specserve.telemetry;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tracks whether Kafka is taking the publisher's records and logs each change once: unavailable (a send
 * failed retriably, or no acknowledgement for 5 s with records in flight), reachable again, delivery
 * failing, delivery succeeding again.
 */
final class DeliveryHealth {

    /** Logged under the publisher's name, as before the publisher was split. */
    private static final Logger log = LoggerFactory.getLogger(FeedbackPublisher.class);

    /** No acknowledgement for this long while records are in flight: report Kafka as unavailable. */
    private static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final TelemetryConfig config;
    private final String deliveryTimeoutMs;
    private final LongSupplier eventsDropped;
    private final AtomicBoolean unavailable = new AtomicBoolean();
    private final AtomicBoolean sendErrorStreak = new AtomicBoolean();
    private volatile long lastProgressNanos = System.nanoTime();

    DeliveryHealth(TelemetryConfig config, String deliveryTimeoutMs, LongSupplier eventsDropped) {
        this.config = config;
        this.deliveryTimeoutMs = deliveryTimeoutMs;
        this.eventsDropped = eventsDropped;
    }

    /**
     * 1 while Kafka takes the publisher's records, 0 from a retriable failure or a 5 s stall with records in
     * flight until the next acknowledgement: the metric an alert on a replica that lost its broker reads.
     */
    double available() {
        return unavailable.get() ? 0 : 1;
    }

    /** Detects a broker that went away while records are in flight (they wait in the producer for it). */
    void checkStalled(long now, InFlight inFlight) {
        if (inFlight.records() == 0) {
            lastProgressNanos = now;
            return;
        }
        if (now - lastProgressNanos > STALL_NANOS && unavailable.compareAndSet(false, true)) {
            log.warn("No acknowledgement from Kafka at {} for {} s with {} records in flight; buffering feedback "
                            + "(up to {} events, oldest dropped first; in-flight records are retried for {} ms)",
                    config.bootstrapServers(), TimeUnit.NANOSECONDS.toSeconds(now - lastProgressNanos),
                    inFlight.records(), config.bufferCapacity(), deliveryTimeoutMs);
        }
    }

    /** A record could not be handed to Kafka for a retriable reason (broker down, topic not there yet). */
    void unavailable(Exception failure) {
        if (unavailable.compareAndSet(false, true)) {
            log.warn("Kafka at {} is unavailable ({}); buffering feedback (up to {} events, oldest dropped first)",
                    config.bootstrapServers(), failure.getMessage(), config.bufferCapacity());
        }
    }

    /** Kafka acknowledged a record. */
    void acknowledged() {
        lastProgressNanos = System.nanoTime();
        if (unavailable.compareAndSet(true, false)) {
            log.info("Kafka at {} is reachable again; sending buffered feedback ({} events dropped from the full "
                    + "buffer since start-up)", config.bootstrapServers(), eventsDropped.getAsLong());
        }
        if (sendErrorStreak.compareAndSet(true, false)) {
            log.info("Feedback delivery to {} succeeded again", config.bootstrapServers());
        }
    }

    /** A record of {@code stream} failed for good; the first failure of a streak is logged at warn. */
    void deliveryFailed(String stream, Exception e) {
        lastProgressNanos = System.nanoTime();
        if (sendErrorStreak.compareAndSet(false, true)) {
            log.warn("Feedback delivery to {} failed ({} record): {}; further failures are logged at debug until "
                    + "delivery succeeds again", config.bootstrapServers(), stream, e.toString());
        } else {
            log.debug("Feedback delivery failed ({} record): {}", stream, e.toString());
        }
    }
}
