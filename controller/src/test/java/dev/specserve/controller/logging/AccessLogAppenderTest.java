package dev.specserve.controller.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** An event loop logging a request never waits for the log: a full queue drops the line and counts it. */
class AccessLogAppenderTest {
    @Test
    void a_stalled_log_drops_and_counts_lines_instead_of_blocking_the_caller() throws Exception {
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter()); // as logback's own start sets it
        CountDownLatch reader = new CountDownLatch(1);
        AppenderBase<ILoggingEvent> stalled = new AppenderBase<>() { // a standard error nobody reads
            @Override
            protected void append(ILoggingEvent e) {
                try {
                    reader.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        stalled.setContext(context);
        stalled.start();
        AccessLogAppender access = new AccessLogAppender();
        access.setContext(context);
        access.setQueueSize(4);
        access.addAppender(stalled);
        access.start();
        long before = AccessLogAppender.dropped();
        try {
            long t0 = System.nanoTime();
            for (int i = 0; i < 100; i++) {
                access.doAppend(new LoggingEvent("x", context.getLogger("dev.specserve.access"), Level.INFO,
                        "GET /v1/models 200", null, null));
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;

            assertThat(ms).as("100 lines against a stalled log, in ms").isLessThan(5_000);
            assertThat(AccessLogAppender.dropped() - before).as("dropped, counted").isGreaterThanOrEqualTo(90);
        } finally {
            reader.countDown();
            access.stop();
            stalled.stop();
        }
    }

    @Test
    void the_shutdown_flush_writes_what_is_queued_and_leaves_the_shared_console_running() throws Exception {
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
        java.util.List<String> written = new java.util.concurrent.CopyOnWriteArrayList<>();
        AppenderBase<ILoggingEvent> console = new AppenderBase<>() { // slow, and shared with every other logger
            @Override
            protected void append(ILoggingEvent e) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
                written.add(e.getFormattedMessage());
            }
        };
        console.setContext(context);
        console.start();
        AccessLogAppender access = new AccessLogAppender();
        access.setContext(context);
        access.addAppender(console);
        access.start();
        try {
            for (int i = 0; i < 10; i++) {
                access.doAppend(new LoggingEvent("x", context.getLogger("dev.specserve.access"), Level.INFO,
                        "line " + i, null, null));
            }

            AccessLogAppender.flushAll();

            assertThat(written).as("every queued line written").hasSize(10);
            assertThat(console.isStarted()).as("the console the shutdown's own lines go to").isTrue();
            access.stop();
            assertThat(console.isStarted()).as("stopping the access appender leaves the console running").isTrue();
        } finally {
            access.stop();
        }
    }
}
