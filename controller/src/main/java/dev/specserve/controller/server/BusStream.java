package dev.specserve.controller.server;

import dev.specserve.runtime.engine.GenerationHandle;
import dev.specserve.runtime.engine.GenerationObserver;
import dev.specserve.runtime.engine.RequestStats;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.TokenLogprob;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.MessageProducer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One streaming request: delivers chunks in order to the client's consumer, waiting for it to appear, and
 * cancels the generation when the client asks to or goes away. Runs on the event-bus API verticle's context only ({@link EventBusApiVerticle}).
 */
final class BusStream implements GenerationObserver {
    private static final Logger LOG = LoggerFactory.getLogger(BusStream.class);
    private static final long RETRY_MILLIS = 20;

    /** What a stream needs of the verticle that opened it. */
    record Env(Vertx vertx, Context context, StreamOwnership ownership, long consumerTimeoutMillis, Runnable unclaimed,
               Function<GenerationResult, ApiError> cutByStop, Consumer<BusStream> closed) {}

    final String address;
    final String controlAddress;
    /** The request id (logged; the capability in the addresses is not). */
    final String id;
    final String capability;
    final String connection;
    final MessageProducer<JsonObject> producer;
    final MessageConsumer<Object> control;
    final ArrayDeque<JsonObject> pending = new ArrayDeque<>();
    private long deadlineTimer = -1; // armed once the client is told the address (opened)
    GenerationHandle handle;
    int textOffset;
    boolean consumerSeen;
    boolean deadlinePassed;
    boolean writing;
    boolean retryScheduled;
    boolean finished;
    boolean closed;
    Runnable forgetConnection = () -> {};
    private final Env env;

    /** When the request arrived ({@link System#nanoTime()}), for its access line. */
    private final long started = System.nanoTime();

    BusStream(String id, String capability, String connection, Env env) {
        this.env = env;
        this.id = id;
        this.capability = capability;
        this.connection = connection;
        this.address = EventBusApiVerticle.STREAM_PREFIX + capability;
        this.controlAddress = address + EventBusApiVerticle.CONTROL_SUFFIX;
        env.ownership().claim(capability, connection);
        this.producer = env.vertx().eventBus().sender(address);
        this.control = env.vertx().eventBus().consumer(controlAddress, this::onControl);
    }

    /**
     * The request is queued and its client is about to be told the address: from now on it has
     * {@code stream_consumer_timeout_ms} to listen there (not from when the request arrived: tokenizing and a
     * constraint's compile can take longer than that), and the stream ends if its bridge connection closes.
     */
    void opened() {
        deadlineTimer = env.vertx().setTimer(env.consumerTimeoutMillis(), t -> onDeadline());
        watchConnection();
    }

    /** Cancels when the bridge connection that opened this stream closes. */
    private void watchConnection() {
        if (connection != null) {
            forgetConnection = env.ownership().whenClosed(connection,
                    () -> env.context().runOnContext(v -> cancel("its bridge connection closed")));
        }
    }

    private void onControl(Message<Object> m) {
        Object type = m.body() instanceof JsonObject o ? o.getValue("type") : null;
        if ("cancel".equals(type)) {
            LOG.debug("stream of request {}: cancelled by the client", id);
            if (handle != null) {
                handle.cancel();
            }
            if (m.replyAddress() != null) {
                m.reply(new JsonObject().put("type", "cancelling"));
            }
        } else if (m.replyAddress() != null) {
            m.fail(400, ApiError.invalid("type", "control messages are {\"type\":\"cancel\"}").toJson().encode());
        }
    }

    private void onDeadline() {
        if (consumerSeen || closed) {
            return;
        }
        deadlinePassed = true;
        // a bridge stream's consumer is known to exist without a chunk to deliver (a queued or prefilling request
        // has none yet, and would otherwise keep its place and be prefilled for nobody); an in-process one is known
        // only by a delivery, so it is judged by the first chunk
        if (!pending.isEmpty() || connection != null && !env.ownership().hasConsumer(capability)) {
            unclaimed();
        }
    }

    @Override
    public void onTokens(int[] tokens, String textDelta) {
        enqueue(CompletionJson.busToken(tokens, textDelta));
    }

    @Override
    public void onTokens(int[] tokens, String textDelta, List<TokenLogprob> logprobs) {
        if (logprobs.isEmpty()) {
            onTokens(tokens, textDelta);
            return;
        }
        enqueue(CompletionJson.busToken(tokens, textDelta).put("logprobs",
                CompletionLogprobsJson.logprobs(logprobs, textOffset)));
        textOffset += CompletionLogprobsJson.textLength(logprobs);
    }

    @Override
    public void onComplete(GenerationResult result, RequestStats stats) {
        finished = true;
        ApiError cut = env.cutByStop().apply(result);
        enqueue(cut != null ? CompletionJson.busError(cut) : CompletionJson.busDone(result, stats));
        AccessLog.bus(EventBusApiVerticle.GENERATE_STREAM, id, started, cut != null ? cut.status() : 200,
                AccessLog.summary(new GenerationResult[] {result}, new RequestStats[] {stats}, 1, cut));
    }

    @Override
    public void onError(Throwable error) {
        finished = true;
        ApiError e = EngineErrors.answer(LOG, "stream of request " + id, error);
        enqueue(CompletionJson.busError(e));
        AccessLog.bus(EventBusApiVerticle.GENERATE_STREAM, id, started, e.status(), "error=" + e.type());
    }

    private void enqueue(JsonObject chunk) {
        if (closed) {
            return;
        }
        pending.add(chunk);
        pump();
    }

    /** Writes pending chunks one at a time; a write fails at once with NO_HANDLERS when nobody consumes. */
    private void pump() {
        if (writing || closed || retryScheduled || pending.isEmpty()) {
            return;
        }
        writing = true;
        producer.write(pending.peek()).onComplete(ar -> {
            writing = false;
            if (closed) {
                return;
            }
            if (ar.succeeded()) {
                consumerSeen = true;
                pending.poll();
                if (finished && pending.isEmpty()) {
                    close();
                    return;
                }
                pump();
            } else if (noHandlers(ar.cause()) && !consumerSeen && !deadlinePassed) {
                retryScheduled = true;
                env.vertx().setTimer(RETRY_MILLIS, t -> {
                    retryScheduled = false;
                    pump();
                });
            } else if (consumerSeen) {
                cancel("its consumer went away");
            } else {
                unclaimed();
            }
        });
    }

    private void unclaimed() {
        env.unclaimed().run();
        cancel("no consumer registered within " + env.consumerTimeoutMillis() + " ms");
    }

    void cancel(String why) {
        if (closed) {
            return;
        }
        LOG.info("stream of request {}: {}; cancelling the generation", id, why);
        if (!finished) {
            AccessLog.bus(EventBusApiVerticle.GENERATE_STREAM, id, started, 499, "cancelled: " + why);
        }
        if (handle != null) {
            handle.cancel();
        }
        close();
    }

    void close() {
        if (closed) {
            return;
        }
        closed = true;
        pending.clear();
        env.vertx().cancelTimer(deadlineTimer);
        control.unregister();
        env.ownership().release(capability);
        forgetConnection.run();
        env.closed().accept(this);
    }

    private static boolean noHandlers(Throwable t) {
        return t instanceof ReplyException r && r.failureType() == ReplyFailure.NO_HANDLERS;
    }
}
