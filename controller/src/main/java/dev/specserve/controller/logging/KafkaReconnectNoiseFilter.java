package dev.specserve.controller.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Marker;

/**
 * Lets through one of the Kafka clients' reconnect warnings per client and message a minute ("Connection to node
 * -1 (...) could not be established", "Bootstrap broker ... disconnected"): while a broker is down each client
 * logs them at every reconnect attempt, about a thousand lines in 90 s, which buries everything else. The
 * publisher logs the outage and the recovery once each itself; every other warning still goes out.
 */
public final class KafkaReconnectNoiseFilter extends TurboFilter {
    static final long EVERY_NANOS = 60_000_000_000L;

    private final Map<String, Long> lastPassed = new ConcurrentHashMap<>();

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
        if (format == null || level != Level.WARN || !BrokerShutdownNoiseFilter.LOGGER.equals(logger.getName())
                || !(format.contains("could not be established") || format.contains("disconnected"))) {
            return FilterReply.NEUTRAL;
        }
        long now = System.nanoTime();
        // the format carries the client's prefix ("[Producer clientId=...]"), so each client keeps its own minute
        Long last = lastPassed.get(format);
        if (last != null && now - last < EVERY_NANOS) {
            return FilterReply.DENY;
        }
        lastPassed.put(format, now);
        return FilterReply.NEUTRAL;
    }
}
