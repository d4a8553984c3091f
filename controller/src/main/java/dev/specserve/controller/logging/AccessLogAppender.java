package dev.specserve.controller.logging;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The access log's appender: lines are written by a thread of its own, so an event loop that logs a request never
 * waits on standard error (a slow log reader fills the pipe, and a synchronous write would then stall every
 * connection of that loop). When its queue is full it drops the line and counts it ({@link #dropped()}, exported as
 * {@code specserve_access_log_dropped_total}) rather than block.
 *
 * <p>The appenders it writes to (the console every logger shares) are attached through a wrapper that counts what
 * was written, so a shutdown can wait for the queue to be written ({@link #flushAll}), and so stopping this
 * appender, which in logback stops what it writes to, never stops the shared console.
 */
public final class AccessLogAppender extends AsyncAppender {
    private static final AtomicLong DROPPED = new AtomicLong();
    private static final Set<AccessLogAppender> RUNNING = new CopyOnWriteArraySet<>();

    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong written = new AtomicLong();

    public AccessLogAppender() {
        setNeverBlock(true);
        setDiscardingThreshold(0); // every line is INFO: none is less worth keeping while the queue has room
    }

    /** Lines dropped for a full queue since the process started. */
    public static long dropped() {
        return DROPPED.get();
    }

    /** Waits (at most a second) until every line queued so far is written: at shutdown, before the process exits. */
    public static void flushAll() {
        long deadline = System.nanoTime() + 1_000_000_000L;
        for (AccessLogAppender a : RUNNING) {
            while (a.written.get() < a.accepted.get() && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    @Override
    public void addAppender(Appender<ILoggingEvent> target) {
        super.addAppender(new Counted(target));
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

    /** Under a lock, so the queue's room, checked here, is still there when the line is offered. */
    @Override
    protected synchronized void append(ILoggingEvent event) {
        if (!isStarted()) {
            return;
        }
        if (getRemainingCapacity() == 0) {
            DROPPED.incrementAndGet();
            return;
        }
        accepted.incrementAndGet();
        super.append(event);
    }

    /** Writes to {@code target}, counting; stopping it leaves {@code target} running. */
    private final class Counted extends UnsynchronizedAppenderBase<ILoggingEvent> {
        private final Appender<ILoggingEvent> target;

        Counted(Appender<ILoggingEvent> target) {
            this.target = target;
            setName(target.getName());
            setContext(target.getContext());
            start();
        }

        @Override
        protected void append(ILoggingEvent event) {
            try {
                target.doAppend(event);
            } finally {
                written.incrementAndGet();
            }
        }
    }
}
