package dev.specserve.controller.logging;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.spi.ILoggingEvent;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The access log's appender: lines are written by a thread of its own, so an event loop that logs a request never
 * waits on standard error (a slow log reader fills the pipe, and a synchronous write would then stall every
 * connection of that loop). When its queue is full it drops the line and counts it ({@link #dropped()}, exported as
 * {@code specserve_access_log_dropped_total}) rather than block.
 */
public final class AccessLogAppender extends AsyncAppender {
    private static final AtomicLong DROPPED = new AtomicLong();
    private static final Set<AccessLogAppender> RUNNING = new CopyOnWriteArraySet<>();

    public AccessLogAppender() {
        setNeverBlock(true);
        setDiscardingThreshold(0); // every line is INFO: none is less worth keeping while the queue has room
    }

    /** Lines dropped for a full queue since the process started. */
    public static long dropped() {
        return DROPPED.get();
    }

    /** Writes out what is queued (at most a second each), at shutdown, before the process exits. */
    public static void flushAll() {
        RUNNING.forEach(AccessLogAppender::stop);
    }

    @Override
    public void start() {
        super.start();
        RUNNING.add(this);
    }

    @Override
    public void stop() {
        RUNNING.remove(this);
        super.stop();
    }

    @Override
    protected void append(ILoggingEvent event) {
        if (isStarted() && getRemainingCapacity() == 0) {
            DROPPED.incrementAndGet();
            return;
        }
        super.append(event);
    }
}
