package dev.specserve.controller.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.spi.FilterReply;
import org.junit.jupiter.api.Test;

/** While a broker is down, each client's reconnect warning goes out once a minute; other warnings always. */
class KafkaReconnectNoiseFilterTest {
    final LoggerContext context = new LoggerContext();
    final KafkaReconnectNoiseFilter filter = new KafkaReconnectNoiseFilter();

    FilterReply decide(String logger, Level level, String format) {
        return filter.decide(null, context.getLogger(logger), level, format, null, null);
    }

    @Test
    void a_clients_reconnect_warning_passes_once_then_is_held_back_and_other_clients_and_warnings_pass() {
        String producer = "[Producer clientId=p] Connection to node {} ({}) could not be established. Node may not be "
                + "available.";
        String consumer = "[Consumer clientId=c] Bootstrap broker {} disconnected";

        assertThat(decide(BrokerShutdownNoiseFilter.LOGGER, Level.WARN, producer)).isEqualTo(FilterReply.NEUTRAL);
        assertThat(decide(BrokerShutdownNoiseFilter.LOGGER, Level.WARN, producer)).isEqualTo(FilterReply.DENY);
        assertThat(decide(BrokerShutdownNoiseFilter.LOGGER, Level.WARN, consumer)).isEqualTo(FilterReply.NEUTRAL);
        assertThat(decide(BrokerShutdownNoiseFilter.LOGGER, Level.WARN, consumer)).isEqualTo(FilterReply.DENY);
        assertThat(decide(BrokerShutdownNoiseFilter.LOGGER, Level.WARN, "[Producer clientId=p] Error connecting to "
                + "node {}: SASL authentication failed")).isEqualTo(FilterReply.NEUTRAL);
        assertThat(decide("org.apache.kafka.other", Level.WARN, producer)).isEqualTo(FilterReply.NEUTRAL);
    }
}
