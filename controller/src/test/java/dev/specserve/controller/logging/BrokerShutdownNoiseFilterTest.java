package dev.specserve.controller.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.spi.FilterReply;
import org.junit.jupiter.api.Test;

/** Only the broker's own double-close warning is dropped; the clients' NetworkClient warnings still go out. */
class BrokerShutdownNoiseFilterTest {
    final LoggerContext context = new LoggerContext();
    final BrokerShutdownNoiseFilter filter = new BrokerShutdownNoiseFilter();

    FilterReply decide(String logger, Level level, String format) {
        return filter.decide(null, context.getLogger(logger), level, format, null, null);
    }

    @Test
    void the_registration_channels_double_close_is_dropped_and_nothing_else() {
        String noise = "[NodeToControllerChannelManager id=1 name=registration] Attempting to close NetworkClient "
                + "that has already been closed.";

        assertThat(decide(BrokerShutdownNoiseFilter.LOGGER, Level.WARN, noise)).isEqualTo(FilterReply.DENY);
        assertThat(decide(BrokerShutdownNoiseFilter.LOGGER, Level.WARN, "[Producer clientId=p] Connection to node 1 "
                + "could not be established. Node may not be available.")).isEqualTo(FilterReply.NEUTRAL);
        assertThat(decide(BrokerShutdownNoiseFilter.LOGGER, Level.WARN, "[Consumer clientId=c] Attempting to close "
                + "NetworkClient that has already been closed.")).isEqualTo(FilterReply.NEUTRAL);
        assertThat(decide("org.apache.kafka.other", Level.WARN, noise)).isEqualTo(FilterReply.NEUTRAL);
        assertThat(decide(BrokerShutdownNoiseFilter.LOGGER, Level.ERROR, noise)).isEqualTo(FilterReply.NEUTRAL);
    }
}
