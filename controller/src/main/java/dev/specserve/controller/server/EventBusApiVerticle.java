package dev.specserve.controller.server;

import dev.specserve.runtime.engine.GenerationHandle;
import dev.specserve.runtime.engine.GenerationObserver;
import dev.specserve.runtime.engine.RequestStats;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.InvalidRequestException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
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

    private final Completions completions;
    private final long consumerTimeoutMillis;
    private final StreamOwnership ownership;
    private final Counter unclaimed;
    private final String node;
    private final Set<BusStream> sessions = new HashSet<>();
    private BusStream.Env streams;

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
        streams = new BusStream.Env(vertx, context, ownership, consumerTimeoutMillis, unclaimed::increment,
                this::cutByStop, sessions::remove);
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
        for (BusStream s : List.copyOf(sessions)) {
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
        long t0 = System.nanoTime();
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
            fail(msg, null, t0, ApiError.from(e));
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
                        fail(msg, id, t0, cutByStop(result));
                        return;
                    }
                    JsonObject reply = CompletionJson.busReply(result, stats);
                    msg.reply(node == null ? reply : reply.put("node", node));
                    AccessLog.bus(GENERATE, id, t0, 200, AccessLog.summary(new GenerationResult[] {result},
                            new RequestStats[] {stats}, 1, null));
                }

                @Override
                public void onError(Throwable error) {
                    done[0] = true;
                    forget[0].run();
                    fail(msg, id, t0, EngineErrors.answer(LOG, "event-bus request " + id, error));
                }
            }).onComplete(ar -> {
                if (ar.failed()) {
                    fail(msg, id, t0, ApiError.from(ar.cause(), "event-bus request " + id));
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
        long t0 = System.nanoTime();
        CompletionRequest req;
        try {
            Object body = body(msg);
            if (body instanceof JsonObject o && o.containsKey("stream_options") && !o.containsKey("stream")) {
                body = o.copy().put("stream", true); // this address streams: its options need no "stream": true
            }
            req = completions.parseForBus(body);
        } catch (RuntimeException e) {
            fail(msg, null, t0, ApiError.from(e));
            return;
        }
        String id = Completions.newRequestId();
        BusStream session = new BusStream(id, StreamOwnership.newCapability(),
                msg.headers().get(StreamOwnership.CONNECTION_HEADER), streams);
        sessions.add(session);
        completions.submit(req, id, context, session).onComplete(ar -> {
            if (ar.failed()) {
                session.close();
                fail(msg, id, t0, ApiError.from(ar.cause(), "event-bus stream " + id));
                return;
            }
            session.handle = ar.result();
            if (session.closed) {
                session.handle.cancel(); // stopped (server stopping) while the request was being tokenized
                fail(msg, id, t0, ApiError.from(new dev.specserve.runtime.engine.ServiceUnavailableException(
                        dev.specserve.runtime.engine.ServiceUnavailableException.SHUTTING_DOWN,
                        "the server is shutting down; retry on another replica")));
                return;
            }
            session.opened();
            JsonObject reply = new JsonObject().put("id", id).put("address", session.address)
                    .put("control", session.controlAddress);
            msg.reply(node == null ? reply : reply.put("node", node));
        });
    }

    /** {@link #fail(Message, ApiError)}, and the request's access line ({@code id} null: refused before it had one). */
    private void fail(Message<?> msg, String id, long startedNanos, ApiError e) {
        fail(msg, e);
        AccessLog.bus(msg.address(), id, startedNanos, e.status(), "error=" + e.type());
    }

    /** Fails {@code msg} with the error's status and JSON, naming this replica's node on a clustered bus. */
    private void fail(Message<?> msg, ApiError e) {
        JsonObject error = e.toJson();
        msg.fail(e.status(), (node == null ? error : error.put("node", node)).encode());
    }
}
