package dev.specserve.telemetry;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns Kafka's {@code Exit.exit/halt} into exceptions while any embedded broker of this process runs, so a fatal
 * broker error cannot terminate the serving process. One guard per broker; the last one removed restores Kafka's.
 */
final class KafkaExitGuard {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
    private static final Object LOCK = new Object();
    private static int users;

    private boolean guarding;

    void install() {
        if (guarding) {
            return;
        }
        guarding = true;
        synchronized (LOCK) {
            if (users++ == 0) {
                try {
                    org.apache.kafka.common.utils.internals.Exit.setExitProcedure((code, msg) -> {
                        LOG.error("Embedded Kafka requested JVM exit({}): {}; ignored", code, msg);
                        throw new IllegalStateException("embedded Kafka requested exit(" + code + "): " + msg);
                    });
                    org.apache.kafka.common.utils.internals.Exit.setHaltProcedure((code, msg) -> {
                        LOG.error("Embedded Kafka requested JVM halt({}): {}; ignored", code, msg);
                        throw new IllegalStateException("embedded Kafka requested halt(" + code + "): " + msg);
                    });
                } catch (LinkageError e) {
                    LOG.debug("Kafka Exit procedures not available: {}", e.toString());
                }
            }
        }
    }

    void remove() {
        if (!guarding) {
            return;
        }
        guarding = false;
        synchronized (LOCK) {
            if (--users == 0) {
                try {
                    org.apache.kafka.common.utils.internals.Exit.resetExitProcedure();
                    org.apache.kafka.common.utils.internals.Exit.resetHaltProcedure();
                } catch (LinkageError e) {
                    // not available
                }
            }
        }
    }
}
