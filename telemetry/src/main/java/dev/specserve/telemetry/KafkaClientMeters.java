package dev.specserve.telemetry;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;

/**
 * A Kafka client's own metrics (request latency, retries, record errors, buffer use, consumer lag and rebalances)
 * as Micrometer meters named {@code kafka.producer.*} and {@code kafka.consumer.*}, tagged with the client id, for as
 * long as the client lives: {@link #close()} removes them with the client.
 */
final class KafkaClientMeters implements AutoCloseable {

    private final KafkaClientMetrics binder;

    private KafkaClientMeters(KafkaClientMetrics binder, MeterRegistry registry) {
        this.binder = binder;
        binder.bindTo(registry);
    }

    static KafkaClientMeters of(Producer<?, ?> producer, MeterRegistry registry) {
        return new KafkaClientMeters(new KafkaClientMetrics(producer), registry);
    }

    static KafkaClientMeters of(Consumer<?, ?> consumer, MeterRegistry registry) {
        return new KafkaClientMeters(new KafkaClientMetrics(consumer), registry);
    }

    @Override
    public void close() {
        binder.close();
    }
}
