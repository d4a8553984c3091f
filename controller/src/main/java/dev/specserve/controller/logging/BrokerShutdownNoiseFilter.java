package dev.specserve.controller.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.Marker;

/**
 * Drops the one warning the embedded KRaft broker logs on every clean stop: its registration channel's
 * {@code NetworkClient} is closed twice inside the broker's own shutdown ("[NodeToControllerChannelManager ...]
 * Attempting to close NetworkClient that has already been closed."). Only that message of that channel is dropped;
 * every other {@code NetworkClient} warning, the producers' and consumers' included, still goes out.
 */
public final class BrokerShutdownNoiseFilter extends TurboFilter {
    static final String LOGGER = "org.apache.kafka.clients.NetworkClient";

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
        boolean noise = format != null && level == Level.WARN && LOGGER.equals(logger.getName())
                && format.contains("NodeToControllerChannelManager") && format.contains("already been closed");
        return noise ? FilterReply.DENY : FilterReply.NEUTRAL;
    }
}
