package dev.specserve.telemetry;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * What one {@link FeedbackConsumer} delivered and skipped, both as its own counts (read by its getters) and as
 * meters in the shared registry, which {@link #close} removes again.
 */
final class ConsumerCounts implements AutoCloseable {
    private final MeterRegistry registry;
    private final Map<MalformedRecordException.Kind, LongAdder> malformed = new EnumMap<>(MalformedRecordException.Kind.class);
    private final Map<MalformedRecordException.Kind, Counter> malformedCounters = new EnumMap<>(MalformedRecordException.Kind.class);
    private final LongAdder events = new LongAdder();
    private final LongAdder samples = new LongAdder();
    private final LongAdder listenerErrors = new LongAdder();
    private final Counter eventsCounter;
    private final Counter samplesCounter;
    private final Counter listenerErrorCounter;
    private final List<Meter> meters = new ArrayList<>();

    ConsumerCounts(MeterRegistry registry, String groupId, LongSupplier lag) {
        this.registry = registry;
        for (MalformedRecordException.Kind kind : MalformedRecordException.Kind.values()) {
            malformed.put(kind, new LongAdder());
            malformedCounters.put(kind, add(Counter.builder(TelemetryMetrics.CONSUMER_MALFORMED).tag("kind", kind.tag())
                    .description("Records skipped as malformed").register(registry)));
        }
        eventsCounter = add(Counter.builder(TelemetryMetrics.CONSUMER_RECORDS).tags("group", groupId, "stream",
                TelemetryMetrics.STREAM_FEEDBACK).description("Records delivered to the listener").register(registry));
        samplesCounter = add(Counter.builder(TelemetryMetrics.CONSUMER_RECORDS).tags("group", groupId, "stream",
                TelemetryMetrics.STREAM_SAMPLES).description("Records delivered to the listener").register(registry));
        listenerErrorCounter = add(Counter.builder(TelemetryMetrics.CONSUMER_LISTENER_ERRORS).tag("group", groupId)
                .description("Listener invocations that threw").register(registry));
        add(Gauge.builder(TelemetryMetrics.CONSUMER_LAG, lag, LongSupplier::getAsLong).tag("group", groupId)
                .strongReference(true) // a gauge holds its state weakly, and nothing else holds this lambda
                .description("Sum over assigned partitions of end offset minus position").register(registry));
    }

    private <M extends Meter> M add(M meter) {
        meters.add(meter);
        return meter;
    }

    /** The consumer's own Kafka metrics, until the returned meters are closed with it. */
    KafkaClientMeters clientMeters(org.apache.kafka.clients.consumer.Consumer<?, ?> consumer) {
        return KafkaClientMeters.of(consumer, registry);
    }

    void malformed(MalformedRecordException.Kind kind) {
        malformed.get(kind).increment();
        malformedCounters.get(kind).increment();
    }

    void event() {
        events.increment();
        eventsCounter.increment();
    }

    void sample() {
        samples.increment();
        samplesCounter.increment();
    }

    /** Counts a listener error and returns how many there have been. */
    long listenerError() {
        listenerErrors.increment();
        listenerErrorCounter.increment();
        return listenerErrors.sum();
    }

    Map<MalformedRecordException.Kind, Long> malformedCounts() {
        Map<MalformedRecordException.Kind, Long> m = new LinkedHashMap<>();
        malformed.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    long malformedCount(MalformedRecordException.Kind kind) {
        return malformed.get(kind).sum();
    }

    long malformedTotal() {
        return malformed.values().stream().mapToLong(LongAdder::sum).sum();
    }

    long events() {
        return events.sum();
    }

    long samples() {
        return samples.sum();
    }

    long listenerErrors() {
        return listenerErrors.sum();
    }

    @Override
    public void close() {
        meters.forEach(registry::remove);
    }
}
