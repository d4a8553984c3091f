package dev.specserve.controller.cli;

import dev.specserve.controller.server.FeedbackSink;
import dev.specserve.controller.server.SpecserveServer;
import dev.specserve.drafters.ModelStack;
import dev.specserve.runtime.engine.Engine;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code serve}'s shutdown hook: stops everything once, in {@link #sequence}'s order, then lets the main thread finish. */
final class ServeShutdown implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);
    private final SpecserveServer server;
    private final Engine engine;
    private final List<FeedbackSink> sinks;
    private final ModelStack stack;
    private final java.time.Duration drain;
    private final CountDownLatch stopped = new CountDownLatch(1);

    /** @param drain how long running and queued requests may take to finish before the rest are cancelled */
    ServeShutdown(SpecserveServer server, Engine engine, List<FeedbackSink> sinks, ModelStack stack,
                  java.time.Duration drain) {
        this.server = server;
        this.engine = engine;
        this.sinks = sinks;
        this.stack = stack;
        this.drain = drain;
    }

    private final java.util.concurrent.atomic.AtomicBoolean started = new java.util.concurrent.atomic.AtomicBoolean();

    /** Runs the sequence once; a second caller (a signal during a failed start's shutdown) waits for it to end. */
    @Override
    public void run() {
        if (!started.compareAndSet(false, true)) {
            awaitUninterruptibly(stopped);
            return;
        }
        LOG.info("shutting down: the engine, then the APIs, the feedback clients, the broker and the models");
        try {
            sequence(server, engine, sinks, stack, drain);
            LOG.info("stopped");
        } finally {
            stopped.countDown();
        }
    }

    void awaitStopped() throws InterruptedException {
        stopped.await();
    }

    static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The one shutdown sequence (SIGTERM, Ctrl-C, a failed start): cancel running and queued requests (each
     * finishes as {@code cancelled}, its client answered and its feedback published) and join the engine thread;
     * close the APIs (and open streams); flush feedback and close the Kafka clients; stop the embedded broker (it has
     * no shutdown hook of its own, so nothing races this order); close the models last.
     */
    static void sequence(SpecserveServer server, Engine engine, List<FeedbackSink> sinks, ModelStack stack,
                         java.time.Duration drain) {
        long t0 = System.nanoTime();
        if (engine != null && !drain.isZero()) {
            LOG.info("shutdown: draining: new requests get 503 and /ready 503; up to {} s for {} running and {} "
                    + "queued to finish", drain.toSeconds(), engine.running(), engine.waiting());
            try {
                boolean done = engine.drain(drain);
                LOG.info("shutdown: {} ({} ms)", done ? "drained" : "drain time up, cancelling "
                        + (engine.running() + engine.waiting()) + " requests", ms(t0));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (server != null) {
            server.stopping(); // what the engine cancels now is the bus clients' 503, to retry on another replica
        }
        if (engine != null) {
            // refuses new requests, finishes running and queued ones as cancelled (their clients still get the
            // answer: the APIs are open until the next step), joins the engine thread
            int running = engine.running();
            int queued = engine.waiting();
            engine.close();
            LOG.info("shutdown: engine stopped; {} requests were running and {} queued, cancelled or refused unless "
                    + "they finished first ({} ms)", running, queued, ms(t0));
        }
        if (server != null) {
            server.close(); // stop accepting, cancel open streams
            dev.specserve.controller.logging.AccessLogAppender.flushAll(); // the last requests' lines, before exit
            LOG.info("shutdown: APIs closed ({} ms)", ms(t0));
        }
        for (FeedbackSink sink : sinks) {
            try {
                sink.close();
            } catch (RuntimeException e) {
                LOG.warn("feedback sink {} did not close cleanly: {}", sink.describe(), e.toString());
            }
        }
        if (!sinks.isEmpty()) {
            LOG.info("shutdown: feedback sinks closed ({} ms)", ms(t0));
        }
        if (engine != null && !engine.stopped()) { // a forward that would not end (a hung device, say)
            LOG.error("shutdown: the engine thread is still inside a forward; the models are left open (closing "
                    + "them under it would crash the process); stopped in {} ms", ms(t0));
            return;
        }
        stack.close(); // ORT sessions last: closing a session during a run can crash
        LOG.info("shutdown: models closed; stopped in {} ms", ms(t0));
    }

    private static long ms(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
