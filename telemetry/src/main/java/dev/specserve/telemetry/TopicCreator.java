package dev.specserve.telemetry;

import java.time.Duration;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the telemetry topics on a background thread, retrying with back-off (0.5 s doubling to 30 s)
 * while Kafka is unavailable, until they exist, creation is refused, or {@link #stop()} is called.
 */
final class TopicCreator {

    /** Logged under the publisher's name, as before the publisher was split. */
    private static final Logger log = LoggerFactory.getLogger(FeedbackPublisher.class);

    private final TelemetryConfig config;
    private final Thread thread;
    private volatile boolean stopped;

    private TopicCreator(TelemetryConfig config) {
        this.config = config;
        this.thread = new Thread(this::run, "specserve-feedback-topics-" + config.replicaId());
        this.thread.setDaemon(true);
    }

    /** Starts creating the topics of {@code config}. */
    static TopicCreator start(TelemetryConfig config) {
        TopicCreator creator = new TopicCreator(config);
        creator.thread.start();
        return creator;
    }

    /** Asks the thread to give up (it is interrupted); see {@link #join}. */
    void stop() {
        stopped = true;
        thread.interrupt();
    }

    void join(long millis) throws InterruptedException {
        thread.join(millis);
    }

    private void run() {
        long backoffMs = 500;
        try (TopicAdmin admin = new TopicAdmin(config)) {
            while (!stopped) {
                try {
                    admin.ensureTopics(Duration.ofSeconds(10));
                    return;
                } catch (RetriableException e) {
                    log.debug("Topics not ensured yet ({}); retrying in {} ms", e.toString(), backoffMs);
                } catch (InterruptException e) {
                    return;
                } catch (RuntimeException e) {
                    log.warn("Cannot create the telemetry topics ({}); create them yourself: {}, {}, {} (compacted)",
                            e.toString(), config.feedbackTopic(), config.samplesTopic(), config.updatesTopic());
                    return;
                }
                Thread.sleep(backoffMs);
                backoffMs = Math.min(30_000, backoffMs * 2);
            }
        } catch (InterruptedException e) {
            // closing
        } catch (RuntimeException e) {
            log.warn("Topic creation thread failed: {}", e.toString());
        }
    }
}
