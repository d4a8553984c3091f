package dev.specserve.controller.server;

import dev.specserve.runtime.engine.GenerationHandle;
import dev.specserve.runtime.engine.GenerationObserver;
import dev.specserve.runtime.engine.RequestStats;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.InvalidRequestException;
import dev.specserve.runtime.spec.TokenLogprob;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.MessageProducer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event-bus API (event-loop verticle); the same JSON fields as {@code POST /v1/completions} ({@code stream}
 * is refused: the address chooses).
 *
 * <ul>
 *   <li>{@value #GENERATE} (request/reply): replies {@code {text, tokens, finish_reason,
 *       usage{prompt_tokens, completion_tokens}, stats{rounds, accepted_mean, drafter_version, strategy}}}.</li>
 *   <li>{@value #GENERATE_STREAM} (request/reply): replies {@code {id, address, control}} at once. The client
 *       registers a consumer at {@code address} ({@value #STREAM_PREFIX}&lt;capability&gt;, where the capability is
 *       a fresh 256-bit random token, not the request {@code id}; see {@link StreamOwnership}) and receives
 *       {@code {type:"token", text, tokens}} messages (with {@code logprobs}, in the completions API's shape, when
 *       the request asks for them), then one final {@code {type:"done", finish_reason, usage,
 *       stats}} (or {@code {type:"error", error}}). Sending {@code {type:"cancel"}} to {@code control}
 *       ({@code address + ".control"}) stops the generation (the done message then says {@code cancelled}).
 *       Chunks wait, in order, until a consumer is registered; if none is within {@code stream_consumer_timeout_ms}
 *       the generation is cancelled and counted in {@value #UNCLAIMED}; if the consumer unregisters, it is cancelled
 *       too.</li>
 * </ul>
 * Requests that came over the TCP bridge (header {@value StreamOwnership#CONNECTION_HEADER}) are cancelled when
 * that bridge connection closes, streaming or not.
 * Refusals fail the message with {@code failureCode} 400 (invalid request), 429 (queue full) or 500, and a
 * JSON-encoded {@code {message, type, param, code}} as the failure message. On a clustered event bus both
 * replies also carry {@code node}, the serving replica's cluster node id, so a client can fail a stream at
 * once when that member leaves; a replica that stops sends its open streams an {@code error} (code 503)
 * first. A 429 can be retried: the cluster's event bus sends the retry to the next replica in turn.
 */
public final class EventBusApiVerticle extends VerticleBase {
    private static final Logger LOG = LoggerFactory.getLogger(EventBusApiVerticle.class);
    public static final String GENERATE = "specserve.generate";
    public static final String GENERATE_STREAM = "specserve.generate.stream";
    public static final String STREAM_PREFIX = "specserve.stream.";
    public static final String CONTROL_SUFFIX = ".control";
    /** Rendered by Prometheus as {@code specserve_bridge_streams_unclaimed_total}. */
    public static final String UNCLAIMED = "specserve.bridge.streams_unclaimed";
    private static final long RETRY_MILLIS = 20;

    private final Completions completions;
    private final long consumerTimeoutMillis;
    private final StreamOwnership ownership;
    private final Counter unclaimed;
    private final String node;
    private final Set<StreamSession> sessions = new HashSet<>();

    /** @param node this replica's cluster node id, or null when the event bus is not clustered */
    EventBusApiVerticle(Completions completions, long consumerTimeoutMillis, StreamOwnership ownership,
                        MeterRegistry registry, String node) {
        this.completions = completions;
        this.consumerTimeoutMillis = consumerTimeoutMillis;
        this.node = node;
        this.ownership = ownership;
        this.unclaimed = Counter.builder(UNCLAIMED)
                .description("Event-bus streams cancelled because no consumer registered in time").register(registry);
    }

    @Override
    public Future<?> start() {
        MessageConsumer<Object> generate = vertx.eventBus().consumer(GENERATE, this::generate);
        MessageConsumer<Object> stream = vertx.eventBus().consumer(GENERATE_STREAM, this::generateStream);
        return Future.all(generate.completion(), stream.completion())
                .onSuccess(v -> LOG.info("event-bus API on '{}' and '{}'", GENERATE, GENERATE_STREAM));
    }

    /**
     * The replica is stopping: a request the engine now ends as {@code cancelled} answers 503 instead (a stream
     * an {@code error} chunk), so a client retries it on another replica rather than take the cut text as done.
     */
    public void stopping() {
        stopping = true;
    }

    private volatile boolean stopping;

    /** The error a request cut by this replica's stop answers with, or null when it ended otherwise. */
    private ApiError cutByStop(GenerationResult result) {
        return stopping && result.finishReason() == dev.specserve.runtime.spec.FinishReason.CANCELLED
                ? STOPPED : null;
    }

    private static final ApiError STOPPED = new ApiError(503,
            "the replica serving this request is stopping; retry the request", "unavailable", null);

    @Override
    public Future<?> stop() {
        for (StreamSession s : List.copyOf(sessions)) {
            // say so rather than go silent: a client (possibly on another cluster member) fails its stream now
            vertx.eventBus().send(s.address, CompletionJson.busError(STOPPED));
            s.cancel("server stopping");
        }
        return Future.succeededFuture();
    }

    /** Open streaming sessions (for tests and diagnostics). */
    int openStreams() {
        return sessions.size();
    }

    /**
     * The message's body; a clustered message is decoded here, so a body Jackson refuses (a string over its 20 M
     * character limit, say) is the sender's 400, counted, not a server error.
     */
    private Object body(Message<Object> msg) {
        try {
            return msg.body();
        } catch (io.vertx.core.json.DecodeException e) {
            InvalidRequestException refused = new InvalidRequestException("body", "the message body cannot be decoded "
                    + "as JSON: " + JsonFields.jsonProblem(e));
            completions.rejected(ApiError.from(refused));
            throw refused;
        }
    }

    private void generate(Message<Object> msg) {
        CompletionRequest req;
        try {
            req = completions.parseForBus(body(msg));
            if (req.stream()) {
                InvalidRequestException e = new InvalidRequestException("stream", "specserve.generate replies once, "
                        + "with the whole completion; send to specserve.generate.stream for tokens as they are generated");
                completions.rejected(ApiError.from(e));
                throw e;
            }
        } catch (RuntimeException e) {
            fail(msg, ApiError.from(e));
            return;
        }
        String id = Completions.newRequestId();
        String connection = msg.headers().get(StreamOwnership.CONNECTION_HEADER);
        Runnable[] forget = {() -> {}};
        boolean[] done = {false};
        completions.submit(req, id, context, new GenerationObserver() {
                @Override
                public void onTokens(int[] tokens, String textDelta) {}

                @Override
                public void onComplete(GenerationResult result, RequestStats stats) {
                    done[0] = true;
                    forget[0].run();
                    if (cutByStop(result) != null) {
                        fail(msg, cutByStop(result));
                        return;
                    }
                    JsonObject reply = CompletionJson.busReply(result, stats);
                    msg.reply(node == null ? reply : reply.put("node", node));
                }

                @Override
                public void onError(Throwable error) {
                    done[0] = true;
                    forget[0].run();
                    LOG.warn("event-bus request {} failed in the engine", id, error);
                    fail(msg, ApiError.from(error));
                }
            }).onComplete(ar -> {
                if (ar.failed()) {
                    fail(msg, ApiError.from(ar.cause()));
                    return;
                }
                GenerationHandle handle = ar.result();
                if (connection != null && !done[0]) {
                    forget[0] = ownership.whenClosed(connection, () -> context.runOnContext(v -> {
                        LOG.debug("bridge connection of request {} closed; cancelling", id);
                        handle.cancel();
                    }));
                }
            });
    }

    private void generateStream(Message<Object> msg) {
        CompletionRequest req;
        try {
            req = completions.parseForBus(body(msg));
        } catch (RuntimeException e) {
            fail(msg, ApiError.from(e));
            return;
        }
        String id = Completions.newRequestId();
        StreamSession session = new StreamSession(id, StreamOwnership.newCapability(),
                msg.headers().get(StreamOwnership.CONNECTION_HEADER));
        sessions.add(session);
        completions.submit(req, id, context, session).onComplete(ar -> {
            if (ar.failed()) {
                session.close();
                fail(msg, ApiError.from(ar.cause()));
                return;
            }
            session.handle = ar.result();
            if (session.closed) {
                session.handle.cancel(); // stopped (server stopping) while the request was being tokenized
                return;
            }
            session.watchConnection();
            JsonObject reply = new JsonObject().put("id", id).put("address", session.address)
                    .put("control", session.controlAddress);
            msg.reply(node == null ? reply : reply.put("node", node));
        });
    }

    /** Fails {@code msg} with the error's status and JSON, naming this replica's node on a clustered bus. */
    private void fail(Message<?> msg, ApiError e) {
        JsonObject error = e.toJson();
        msg.fail(e.status(), (node == null ? error : error.put("node", node)).encode());
    }

    /**
     * One streaming request: delivers chunks in order to the client's consumer, waiting for it to appear, and
     * cancels the generation when the client asks to or goes away. Runs on the verticle's context only.
     */
    private final class StreamSession implements GenerationObserver {
        final String address;
        final String controlAddress;
        /** The request id (logged; the capability in the addresses is not). */
        final String id;
        final String capability;
        final String connection;
        final MessageProducer<JsonObject> producer;
        final MessageConsumer<Object> control;
        final ArrayDeque<JsonObject> pending = new ArrayDeque<>();
        final long deadlineTimer;
        GenerationHandle handle;
        int textOffset;
        boolean consumerSeen;
        boolean deadlinePassed;
        boolean writing;
        boolean retryScheduled;
        boolean finished;
        boolean closed;
        Runnable forgetConnection = () -> {};

        StreamSession(String id, String capability, String connection) {
            this.id = id;
            this.capability = capability;
            this.connection = connection;
            this.address = STREAM_PREFIX + capability;
            this.controlAddress = address + CONTROL_SUFFIX;
            ownership.claim(capability, connection);
            this.producer = vertx.eventBus().sender(address);
            this.control = vertx.eventBus().consumer(controlAddress, this::onControl);
            this.deadlineTimer = vertx.setTimer(consumerTimeoutMillis, t -> onDeadline());
        }

        /** Cancels when the bridge connection that opened this stream closes. */
        void watchConnection() {
            if (connection != null) {
                forgetConnection = ownership.whenClosed(connection,
                        () -> context.runOnContext(v -> cancel("its bridge connection closed")));
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
            if (!pending.isEmpty()) {
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
            enqueue(cutByStop(result) != null ? CompletionJson.busError(cutByStop(result))
                    : CompletionJson.busDone(result, stats));
        }

        @Override
        public void onError(Throwable error) {
            finished = true;
            LOG.warn("stream of request {} failed in the engine", id, error);
            enqueue(CompletionJson.busError(ApiError.from(error)));
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
                    vertx.setTimer(RETRY_MILLIS, t -> {
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
            unclaimed.increment();
            cancel("no consumer registered within " + consumerTimeoutMillis + " ms");
        }

        void cancel(String why) {
            if (closed) {
                return;
            }
            LOG.info("stream of request {}: {}; cancelling the generation", id, why);
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
            vertx.cancelTimer(deadlineTimer);
            control.unregister();
            ownership.release(capability);
            forgetConnection.run();
            sessions.remove(this);
        }

        private static boolean noHandlers(Throwable t) {
            return t instanceof ReplyException r && r.failureType() == ReplyFailure.NO_HANDLERS;
        }
    }
}
