package dev.specserve.controller.server;

import dev.specserve.runtime.engine.GenerationHandle;
import dev.specserve.runtime.engine.GenerationObserver;
import dev.specserve.runtime.engine.GenerationService;
import dev.specserve.runtime.spec.InvalidRequestException;
import dev.specserve.runtime.engine.EngineRequest;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.UUID;

/**
 * What the APIs share: parse (completions, chat completions and responses) with the one {@link CompletionRequestParser}, submit to the engine with the
 * observer moved onto the caller's Vert.x context, and count every refusal in {@code specserve.requests.rejected}.
 */
final class Completions {
    private final GenerationService engine;
    private final CompletionRequestParser parser;
    private final ChatRequestParser chat;
    private final ResponsesRequestParser responses;
    private final ResponseStore responseStore = new ResponseStore();
    private final ChatTemplate chatTemplate;
    private final ServedModel served;
    private final Rejections rejections;
    /**
     * Requests that may wait for a worker to tokenize them, and bodies to parse, at least this many each: the engine's
     * queue bound applies only after tokenizing, and a client pipelining megabyte prompts (over the TCP bridge, say)
     * would otherwise park any number of them in the worker pool's queue. Beyond, 429.
     */
    static final int MIN_TOKENIZING = 64;
    private final BoundedWorkers workers;

    /**
     * @param engineCountsRejections true when the engine itself reports what {@code submit} throws through
     *                               {@code EngineListener.onRejected}; the serving layer then counts only its own
     *                               refusals, so none is counted twice
     * @param admits what the engine can hold at once (queue plus batch): a request's choices must fit, and it
     *               bounds the requests waiting to be tokenized
     * @param modelNames the names requests may give as {@code model}; the first is the one answers report
     */
    Completions(GenerationService engine, MetricsRecorder metrics, boolean engineCountsRejections,
                ChatTemplate chatTemplate, int admits, List<String> modelNames) {
        this.served = new ServedModel(modelNames, admits, engine.vocabulary());
        this.engine = engine;
        this.parser = new CompletionRequestParser(engine.strategies(), engine.maxTokensLimit(), engine.contextLength());
        this.chat = new ChatRequestParser(parser, chatTemplate);
        this.responses = new ResponsesRequestParser(chat, responseStore);
        if (metrics != null) {
            responseStore.bindMetrics(metrics.registry());
        }
        this.chatTemplate = chatTemplate;
        this.rejections = new Rejections(metrics, engineCountsRejections);
        this.workers = new BoundedWorkers(Math.max(MIN_TOKENIZING, admits), rejections);
    }

    /** The Responses API's stored responses. */
    ResponseStore responseStore() {
        return responseStore;
    }

    GenerationService engine() {
        return engine;
    }

    ChatTemplate chatTemplate() {
        return chatTemplate;
    }

    /** The names the model is served under and what a request must fit. */
    ServedModel served() {
        return served;
    }

    static String newRequestId() {
        return newRequestId("cmpl-");
    }

    static String newRequestId(String prefix) {
        return prefix + UUID.randomUUID().toString().replace("-", "");
    }

    /** Parses and validates; a refusal is counted and rethrown. */
    CompletionRequest parse(Object body) {
        try {
            return served.withEchoTexts(served.fits(parser.parse(served.named(CompletionRequestParser.object(body)))));
        } catch (InvalidRequestException e) {
            rejected(ApiError.from(e));
            throw e;
        }
    }

    /**
     * {@link #parse} for the event bus, whose answer carries one sequence's own output: {@code n} > 1, a batch of
     * prompts and {@code echo} are refused, naming the HTTP API that serves them.
     */
    CompletionRequest parseForBus(Object body) {
        CompletionRequest req = parse(body);
        InvalidRequestException e = req.n() > 1 ? new InvalidRequestException("n", "the event bus serves one choice "
                + "per request (n = 1): send n requests with seeds seed, seed + 1, ..., or use the HTTP API")
                : req.prompts().size() > 1 ? new InvalidRequestException("prompt", "the event bus serves one prompt "
                + "per request: send one request per prompt, or use the HTTP API for a batch")
                : req.echo() ? new InvalidRequestException("echo", "the event bus answers with the output only; "
                + "echo is served by the HTTP completions API (prompt_logprobs is served here too)") : null;
        if (e != null) {
            rejected(ApiError.from(e));
            throw e;
        }
        return req;
    }

    /**
     * Parses and validates a chat completions body and renders its messages; a refusal is counted and rethrown. The
     * answer's refusals name the token limit as the request did ({@code max_completion_tokens} or {@code max_tokens}).
     */
    ChatRequestParser.Parsed parseChat(Object body) {
        try {
            JsonObject json = served.named(CompletionRequestParser.object(body));
            return new ChatRequestParser.Parsed(served.fits(chat.parse(json)), ChatRequestParser.maxTokensField(json));
        } catch (InvalidRequestException e) {
            rejected(ApiError.from(e));
            throw e;
        }
    }

    /**
     * Parses a Responses API body as the chat completion it amounts to, rendering its input; a refusal is counted
     * (under the Responses API's field names) and rethrown.
     */
    ResponsesRequestParser.Parsed parseResponses(Object body) {
        try {
            ResponsesRequestParser.Parsed parsed = responses.parse(served.named(CompletionRequestParser.object(body)));
            served.fits(parsed.request());
            return parsed;
        } catch (InvalidRequestException e) {
            rejected(ApiError.from(e));
            throw e;
        }
    }

    /**
     * A request's chat {@code messages} rendered by the model's template, with its rendering fields, as a chat
     * completion's prompt (for {@code /tokenize}).
     */
    String renderChat(JsonObject request) {
        return chat.render(request);
    }

    /**
     * Submits without blocking the caller's event loop: the engine's cheap checks run here (a prompt too large
     * for the context is refused at once), tokenization and queueing on a worker thread. {@code observer} is
     * called on {@code context}. Engine refusals (400, 429) are counted and fail the future.
     */
    Future<GenerationHandle> submit(CompletionRequest request, String requestId, Context context,
                                    GenerationObserver observer) {
        return submit(request.toEngineRequest(requestId, requestId), context, observer);
    }

    private Future<GenerationHandle> submit(EngineRequest engineRequest, Context context, GenerationObserver observer) {
        try {
            engine.precheck(engineRequest);
        } catch (RuntimeException e) {
            return Future.failedFuture(rejections.byEngine(e));
        }
        ContextObserver onContext = new ContextObserver(context, observer);
        var grammar = engineRequest.sampling().grammar();
        return workers.tokenize(context, grammar != null && !grammar.compiled(), () -> {
            try {
                return engine.submit(engineRequest, onContext);
            } catch (RuntimeException e) {
                throw rejections.byEngine(e);
            }
        });
    }

    /**
     * Submits each of the request's choices as its own sequence (choice i of a prompt samples with seed + i; engine
     * request ids {@code id-k}, k counting the choices of all prompts, when there are several; all in admission group
     * {@code id}), observed by {@code reply}. A choice refused on submission answers with
     * its refusal (in the API's terms: {@code refusal}) and cancels the others, as does one failing in the engine.
     * Returns what cancels them all.
     */
    Runnable submitChoices(CompletionRequest req, String id, Context context, ChoicesReply reply,
                           java.util.function.UnaryOperator<ApiError> refusal) {
        GenerationHandle[] handles = new GenerationHandle[req.sequences()];
        boolean[] over = {false};
        Runnable cancelAll = () -> {
            over[0] = true;
            for (GenerationHandle h : handles) {
                if (h != null) {
                    h.cancel();
                }
            }
        };
        reply.onFailure(cancelAll);
        ApiError[] refused = {null};
        Throwable[] cause = {null};
        int i = 0;
        for (; i < handles.length && !over[0]; i++) { // a refusal (a prompt too long, say) ends the loop
            int index = i;
            EngineRequest choice = req.choice(i).toEngineRequest(handles.length == 1 ? id : id + "-" + i, id);
            submit(choice, context, reply.choice(i)).onComplete(ar -> { // one group: admitted fairly against others
                if (ar.failed()) {
                    refused[0] = refusal.apply(ApiError.from(ar.cause(), "request " + id));
                    cause[0] = ar.cause();
                    reply.fail(refused[0]);
                    return;
                }
                handles[index] = ar.result();
                if (over[0]) {
                    ar.result().cancel();
                }
            });
        }
        for (; i < handles.length && cause[0] != null; i++) { // refused with the choice before, never submitted
            rejections.countAlike(cause[0], refused[0]); // each sequence is counted, under the engine's label
        }
        return cancelAll;
    }

    /** Runs {@code work} (parsing a large body, rendering a chat) on a worker, bounded ({@link BoundedWorkers}). */
    <T> Future<T> onWorker(io.vertx.core.Vertx vertx, java.util.concurrent.Callable<T> work) {
        return workers.parse(vertx, work);
    }

    /** Counts a refusal the serving layer decided (bad JSON, body too large, invalid field). */
    void rejected(ApiError error) {
        rejections.count(error);
    }
}
