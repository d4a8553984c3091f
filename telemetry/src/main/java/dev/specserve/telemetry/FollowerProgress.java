package dev.specserve.telemetry;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

/**
 * How far the drafter-update follower has read, against the topic's end as the broker gives it: the start-up
 * catch-up (everything there when following began), fresh catch-ups other threads ask for, and periodic read
 * checks that tell an idle follower its broker went away. The follower thread calls {@link #track} before each
 * poll; any thread may ask.
 */
final class FollowerProgress {
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private final AtomicLong catchUpsAsked = new AtomicLong();
    private volatile long catchUpReached;
    private volatile boolean reading = true;
    private final long readCheckNanos;
    // follower thread only
    private Map<TopicPartition, Long> catchUpEnd;
    private long catchUpToken;
    private long nextReadCheck;
    private Map<TopicPartition, Long> checkedEnd;

    FollowerProgress(Duration readCheck) {
        this.readCheckNanos = readCheck.toNanos();
    }

    /**
     * Follower thread, before each poll: notes the start-up catch-up once {@code consumer} has read to
     * {@code startEnd}; works towards the latest fresh catch-up asked for; runs the read check when due. Returns
     * true the once the start-up catch-up is reached.
     */
    boolean track(Consumer<?, ?> consumer, Map<TopicPartition, Long> startEnd) {
        freshCatchUp(consumer);
        checkReading(consumer);
        if (caughtUp.getCount() > 0 && readTo(consumer, startEnd)) {
            caughtUp.countDown();
            return true;
        }
        return false;
    }

    long requestCatchUp() {
        return catchUpsAsked.incrementAndGet();
    }

    boolean caughtUpWith(long token) {
        return catchUpReached >= token;
    }

    boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    boolean caughtUp() {
        return caughtUp.getCount() == 0;
    }

    boolean reading() {
        return caughtUp() && reading;
    }

    private void freshCatchUp(Consumer<?, ?> consumer) {
        long asked = catchUpsAsked.get();
        if (asked == catchUpReached) {
            return;
        }
        if (catchUpEnd == null || catchUpToken != asked) {
            try {
                catchUpEnd = consumer.endOffsets(consumer.assignment(), Duration.ofSeconds(2));
                catchUpToken = asked;
            } catch (WakeupException e) {
                throw e;
            } catch (KafkaException e) {
                return; // the broker does not answer yet: asked again next poll
            }
        }
        if (readTo(consumer, catchUpEnd)) {
            catchUpReached = catchUpToken;
            catchUpEnd = null;
        }
    }

    /**
     * Every read check: asks the broker for the topic's end. Reading means it answered and the follower has read
     * everything up to the end the check before found (records published since may still be in flight). A follower
     * that sends nothing has no other way to notice a broker gone.
     */
    private void checkReading(Consumer<?, ?> consumer) {
        long now = System.nanoTime();
        if (now - nextReadCheck < 0) {
            return;
        }
        nextReadCheck = now + readCheckNanos;
        try {
            Map<TopicPartition, Long> end = consumer.endOffsets(consumer.assignment(), Duration.ofSeconds(5));
            Map<TopicPartition, Long> before = checkedEnd;
            checkedEnd = end;
            reading = before == null || readTo(consumer, before);
        } catch (WakeupException e) {
            throw e;
        } catch (KafkaException e) {
            reading = false;
            checkedEnd = null;
        }
    }

    private static boolean readTo(Consumer<?, ?> consumer, Map<TopicPartition, Long> end) {
        return end.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
    }
}
